import type { CopyMasker, ResultColumn, RowMasker, SessionMasker } from '@postern/policy-postgres';
import {
  BackendCode,
  decodeCopyOutResponse,
  decodeErrorResponse,
  decodeNoticeResponse,
  decodeRowDescription,
  ErrorField,
  errorResponse,
  frontend,
  FrontendCode,
  noticeResponse,
  parseHead,
  type FieldDescription,
  type Frame,
} from '@postern/wire-postgres';
import type { CatalogCache, CatalogQuery } from '../catalog.js';
import { copyStatementsOf, type CopyStatement } from '../copy-statements.js';
import { copiedColumns, copyFollowsOtherStatements, copyTablesQuery, type CopyRelation } from '../copy-tables.js';
import type { FrameVerdict } from '../proxy.js';
import { SessionEnd, SqlStates } from '../session-end.js';
import type { SessionLookup } from '../session-lookup.js';
import type { ActivityRecorder } from './activity-recorder.js';
import type { ExecuteExpectation, Expectation, RequestMatcher } from './request-matcher.js';
import { MARKER_PATTERN, type MaskingAdmission, type StandIn } from './statement-gate.js';
import type { PostgresContext } from '../rules.js';

/** How a COPY … TO STDOUT of a table goes on once its names are looked up. */
type CopyResolution =
  | { kind: 'columns'; columns: (ResultColumn[] | null)[] }
  /** Refused with `error`; `blocked` is the reason audited when it is Postern's, not the server's. */
  | { kind: 'refuse'; error: { code: string; message: string }; blocked: string | null }
  | { kind: 'forward' }
  | { kind: 'drop' };

/** What masking needs of the statement stage: refusing a statement, and the session's encoding. */
export interface Refuser {
  refuse(standIn: StandIn, error: { code: string; message: string }): Buffer;
  readonly clientEncoding: string;
}

export interface ResultMaskingDeps {
  context: PostgresContext;
  connectionId: string;
  catalog: CatalogCache;
  catalogQuery: CatalogQuery;
  requests: RequestMatcher;
  activity: ActivityRecorder;
  lookup: SessionLookup;
  refuser: Refuser;
}

/**
 * Stage 3 of the policy filter: masking. Before a statement runs, its lineage under the
 * session's rules (refused when masked values could leave another way) and, for COPY … TO
 * STDOUT of a table, the table's columns; as results stream, every RowDescription/DataRow, COPY
 * and server message text. Fails closed: rows whose columns are unknown end the session.
 */
export class ResultMasking implements MaskingAdmission {
  /** Masker of the result being streamed: null none, undefined not yet decided. */
  private rows: RowMasker | null | undefined = undefined;
  private copy: CopyMasker | null = null;
  /** Every masker that saw a result (their counts make the session's summary). */
  readonly maskers = new Set<SessionMasker>();
  /** A Query's or Execute's COPY … TO STDOUT statements, in order: the columns each sends (null: a query's). */
  private readonly copiedTables = new WeakMap<Expectation, (ResultColumn[] | null)[]>();

  constructor(private readonly deps: ResultMaskingDeps) {}

  // ---------------------------------------------------------------- before the statement runs

  /**
   * Masking by lineage: where each result column of `sql` comes from, bound to the session's
   * rules. A statement whose masked values would leave any other way (a write, a view or
   * function created for later, a function with side effects, SQL that cannot be followed) is
   * refused; otherwise the plan is kept for its results — on the Query's expectation, or under
   * the prepared statement's name.
   */
  refusal(sql: string, frame: Frame, masker: SessionMasker): string | null {
    const plan = masker.planStatement(sql);
    if (plan.refuse !== null) return plan.refuse;
    for (const result of plan.results) {
      if (!result.copyToClient) continue;
      const columns = result.copyColumns();
      if (columns === 'unknown') {
        return 'COPY (query) TO STDOUT with * over a table whose columns are masked cannot be masked column by column: list the columns';
      }
      if (columns !== 'none' && result.copyBinary) {
        return 'a binary COPY of a query over masked columns cannot be masked (its column types are unknown): use text or CSV';
      }
    }
    if (frame.code === FrontendCode.Query) {
      const head = this.deps.requests.last;
      if (head?.kind === 'query') head.masking = plan;
    } else if (frame.code === FrontendCode.Parse) {
      this.deps.requests.keepStatementMasking(parseHead(frame).name, plan);
    }
    return null;
  }

  /**
   * A Query whose COPY … TO STDOUT statements name tables, under masking: before it reaches the
   * server, the tables are resolved on the session's own connection — temporary tables, tables
   * created in the open transaction and the session's search_path included — and the columns
   * each COPY sends are kept for its CopyOutResponse. When masking cannot follow the statement
   * it is refused alone, and the session goes on. Called for a statement the rules allow (a
   * Parse is left alone: a COPY's table is resolved when its portal is executed).
   */
  admit(sql: string, frame: Frame, standIn: StandIn): FrameVerdict {
    const masker = this.policyMasker();
    if (masker === null || frame.code !== FrontendCode.Query || !/copy/i.test(sql)) return frame.bytes;
    const copies = copyStatementsOf(sql).filter((c) => c.direction === 'to');
    const query = this.deps.requests.last;
    if (!copies.some((c) => c.relation !== null) || query?.kind !== 'query') return frame.bytes;
    if (copyFollowsOtherStatements(sql)) {
      return this.settleCopy(
        {
          kind: 'refuse',
          error: {
            code: SqlStates.InsufficientPrivilege,
            message:
              'Postern: while masking applies, COPY … TO STDOUT of a table must come first in its query string; send it on its own',
          },
          blocked: 'COPY of a table after other statements in one query string',
        },
        sql,
        frame.bytes,
        standIn,
      );
    }
    return this.copiedColumns(copies, masker, 'query').then((resolution) => {
      if (resolution.kind === 'columns') this.copiedTables.set(query, resolution.columns);
      return this.settleCopy(resolution, sql, frame.bytes, standIn);
    });
  }

  /** An Execute of a COPY … TO STDOUT of a table: the table is resolved as the portal runs. */
  admitExecute(execute: ExecuteExpectation, describe: Buffer | null, frame: Frame): FrameVerdict {
    const bytes = describe === null ? frame.bytes : Buffer.concat([describe, frame.bytes]);
    const masker = this.policyMasker();
    const sql = this.deps.requests.sqlOfStatement(execute.statement);
    if (masker === null || !/copy/i.test(sql)) return bytes;
    const copy = copyStatementsOf(sql).find((c) => c.direction === 'to');
    if (copy === undefined || copy.relation === null) return bytes;
    // The stand-in executes a portal that cannot exist; the server's error names the marker.
    const standIn = (marker: string): Buffer => {
      const refused = frontend.execute(MARKER_PATTERN.exec(marker)![0]);
      return describe === null ? refused : Buffer.concat([describe, refused]);
    };
    return this.copiedColumns([copy], masker, 'execute').then((resolution) => {
      if (resolution.kind === 'columns') this.copiedTables.set(execute, resolution.columns);
      return this.settleCopy(resolution, sql, bytes, standIn);
    });
  }

  /** The columns each COPY … TO STDOUT sends (null for a query's), or why the statement cannot run. */
  private async copiedColumns(
    copies: CopyStatement[],
    masker: SessionMasker,
    held: 'query' | 'execute',
  ): Promise<CopyResolution> {
    const tables = copies.flatMap((c) => (c.relation === null ? [] : [{ relation: c.relation, columns: c.columns }]));
    const encoding = this.deps.refuser.clientEncoding;
    if (encoding.toUpperCase().replace(/[-_]/g, '') !== 'UTF8' && tables.some((t) => !isAscii(t))) {
      const why = `a table or column name that is not ASCII cannot be looked up while client_encoding is ${encoding}`;
      return refusal(why);
    }
    const outcome = await this.deps.lookup.run(copyTablesQuery(tables.map((t) => t.relation)), held);
    switch (outcome.kind) {
      case 'failed-transaction':
        return {
          kind: 'refuse',
          error: {
            code: SqlStates.InFailedTransaction,
            message: 'current transaction is aborted, commands ignored until end of transaction block',
          },
          blocked: null,
        };
      case 'pipeline-failed':
        return { kind: 'forward' };
      case 'failed':
        return { kind: 'drop' };
      case 'rows':
    }
    const found = copiedColumns(tables, outcome.rows);
    const columns: (ResultColumn[] | null)[] = [];
    for (const copy of copies) {
      if (copy.relation === null) {
        columns.push(null);
        continue;
      }
      const table = found.shift()!;
      if ('code' in table) return { kind: 'refuse', error: table, blocked: null };
      const resolved = table.columns.map((column): ResultColumn => ({
        name: column.name,
        table: { schema: table.schema, name: table.table },
        typeOid: column.typeOid,
        format: copy.format === 'binary' ? 1 : 0,
      }));
      const plan = masker.planCopy(resolved, copy.format, copy.options);
      if (plan.refuse !== null) return refusal(plan.refuse);
      columns.push(resolved);
    }
    return { kind: 'columns', columns };
  }

  /** What reaches the server for a COPY once its tables are resolved (or could not be). */
  private settleCopy(resolution: CopyResolution, sql: string, bytes: Buffer, standIn: StandIn): Buffer | null {
    switch (resolution.kind) {
      case 'columns':
        return bytes;
      // An earlier message of the pipeline failed: the server skips this one to the Sync (and
      // if it ran the COPY regardless, onCopyOut finds no columns for it and fails closed).
      case 'forward':
        return bytes;
      // The lookup's own error (a cancel, a timeout) went to the client in the statement's place.
      case 'drop':
        return null;
      case 'refuse':
        if (resolution.blocked !== null) this.deps.activity.blocked(sql, resolution.blocked);
        return this.deps.refuser.refuse(standIn, resolution.error);
    }
  }

  // ---------------------------------------------------------------- as results stream

  /** A DataRow: masked by the plan of its result (decided at its RowDescription or first row). */
  dataRow(frame: Frame): Buffer {
    const rows = this.rows;
    if (rows === null) return frame.bytes;
    if (rows !== undefined) return rows.maskDataRow(frame.bytes);
    return this.firstRow(frame);
  }

  /** The end of a result (or of everything owed): the next one is planned afresh. */
  resultEnded(): void {
    this.rows = undefined;
    this.copy = null;
  }

  copyData(frame: Frame): Buffer {
    return this.copy === null ? frame.bytes : this.copy.maskCopyData(frame.bytes);
  }

  /** A last text row without its newline (PostgreSQL never sends one) is flushed masked. */
  copyDone(frame: Frame): Buffer {
    const rest = this.copy?.finish() ?? null;
    this.copy = null;
    return rest === null ? frame.bytes : Buffer.concat([rest, frame.bytes]);
  }

  rowDescription(frame: Frame): FrameVerdict {
    const masker = this.policyMasker();
    const { requests } = this.deps;
    if (masker === null) {
      const answered = requests.describeAnswered();
      if (answered === null) this.rows = null;
      else if (answered.hidden) return null;
      return frame.bytes;
    }
    this.maskers.add(masker);
    const fields = decodeRowDescription(frame).fields;
    const { catalog, connectionId } = this.deps;
    const missing = catalog.missing(
      connectionId,
      fields.map((field) => field.tableOid),
    );
    if (missing.length === 0) return this.described(frame, fields, masker);
    return catalog
      .load(connectionId, missing, this.deps.catalogQuery)
      .then(() => this.described(frame, fields, masker))
      .catch((error: unknown) => {
        throw maskingFailure(`the result's tables could not be looked up: ${(error as Error).message}`);
      });
  }

  private described(frame: Frame, fields: FieldDescription[], masker: SessionMasker): Buffer | null {
    const { requests } = this.deps;
    const named = fields.map((field) => this.resultColumn(field));
    // Computed columns derived from masked ones are masked too, by the statement's lineage.
    const annotated = requests.resultMasking()?.annotate(named) ?? named;
    const columns = annotated === named ? named : [...annotated];
    const answered = requests.described(columns);
    if (answered === null) {
      this.rows = masker.planRows(columns);
      return frame.bytes;
    }
    return answered.hidden ? null : frame.bytes;
  }

  /** The first DataRow of an Execute: its columns come from the portal's (or statement's) description. */
  private firstRow(frame: Frame): Buffer {
    const masker = this.policyMasker();
    if (masker === null) {
      this.rows = null;
      return frame.bytes;
    }
    this.maskers.add(masker);
    const columns = this.deps.requests.executeColumns();
    // Fail closed: rows whose columns we cannot name are never forwarded unmasked.
    if (columns === undefined) throw maskingFailure('a result arrived whose columns are unknown');
    this.rows = masker.planRows(columns);
    return this.rows === null ? frame.bytes : this.rows.maskDataRow(frame.bytes);
  }

  copyOut(frame: Frame): FrameVerdict {
    const masker = this.policyMasker();
    if (masker === null) return frame.bytes;
    this.maskers.add(masker);
    const { requests } = this.deps;
    const head = requests.head;
    const sql = requests.sqlOf(head);
    const resolved = head === undefined ? undefined : this.copiedTables.get(head);
    let copy: CopyStatement | undefined;
    let columns: ResultColumn[] | null | undefined;
    if (head?.kind === 'query') {
      head.copies ??= copyStatementsOf(sql).filter((c) => c.direction === 'to');
      copy = head.copies.shift();
      columns = resolved?.shift();
    } else {
      copy = copyStatementsOf(sql).find((c) => c.direction === 'to');
      columns = resolved?.[0];
    }
    const response = decodeCopyOutResponse(frame);
    const format = response.format === 1 ? 'binary' : (copy?.format ?? 'text');
    const options = copy?.options ?? {};
    if (copy === undefined || copy.relation === null) {
      // COPY (query): no RowDescription; lineage says what each column is (refused up front
      // when it cannot). Text-typed: a value of any type is text in a text or CSV COPY.
      const lineage = requests.resultMasking(head)?.copyColumns() ?? 'none';
      if (lineage === 'none') return this.planCopy(frame, masker, null, format, options);
      if (lineage === 'unknown' || lineage.length !== response.columnFormats.length) {
        throw maskingFailure('the COPY sends other columns than its query names');
      }
      if (format === 'binary') {
        const why = 'a binary COPY of a query over masked columns cannot be masked (its column types are unknown)';
        throw maskingFailure(why);
      }
      return this.planCopy(frame, masker, [...lineage], format, options);
    }
    // Fail closed: a table's rows stream only under the columns resolved for this very COPY
    // (none when the policy turned masking on while the statement was on its way).
    if (columns === null || columns === undefined) {
      throw maskingFailure('the copied table was not resolved before the COPY ran');
    }
    if (columns.length !== response.columnFormats.length) {
      throw maskingFailure('the COPY sends other columns than the ones resolved for it');
    }
    const binary = format === 'binary';
    const described = columns.map((column): ResultColumn => ({ ...column, format: binary ? 1 : 0 }));
    return this.planCopy(frame, masker, described, format, options);
  }

  private planCopy(
    frame: Frame,
    masker: SessionMasker,
    columns: ResultColumn[] | null,
    format: 'text' | 'csv' | 'binary',
    options: CopyStatement['options'],
  ): Buffer {
    const plan = masker.planCopy(columns, format, options);
    if (plan.refuse !== null) throw maskingFailure(plan.refuse);
    this.copy = plan.masker;
    return frame.bytes;
  }

  /**
   * An ErrorResponse or NoticeResponse while masking applies. Texts can quote values (a failing
   * cast, a constraint's DETAIL, RAISE): for a statement that reads a masked column inside an
   * expression they are replaced whole (SQLSTATE and severity kept); otherwise value detectors
   * run over them.
   */
  scrubbed(frame: Frame): Buffer {
    const masker = this.policyMasker();
    if (masker === null) return frame.bytes;
    const error = frame.code === BackendCode.ErrorResponse;
    const fields = (error ? decodeErrorResponse(frame) : decodeNoticeResponse(frame)).fields;
    const severity =
      fields[ErrorField.SeverityNonLocalized] ?? fields[ErrorField.Severity] ?? (error ? 'ERROR' : 'NOTICE');
    const code = fields[ErrorField.Code] ?? 'XX000';
    if (this.deps.requests.resultMasking()?.scrubMessages === true) {
      const message = `Postern hid the server's message: this statement reads a masked column, whose values it could quote (SQLSTATE ${code})`;
      return rebuildNotice(error, { severity, code, message });
    }
    const texts = TEXT_FIELDS.map((field) => {
      const text = fields[field];
      return text === undefined ? undefined : masker.maskText(text);
    });
    if (texts.every((text, i) => text === fields[TEXT_FIELDS[i]!])) return frame.bytes;
    const [message, detail, hint, where] = texts;
    return rebuildNotice(error, {
      severity,
      code,
      message: message ?? '',
      ...(detail === undefined ? {} : { detail }),
      ...(hint === undefined ? {} : { hint }),
      ...(where === undefined ? {} : { where }),
    });
  }

  private resultColumn(field: FieldDescription): ResultColumn {
    const format = field.format === 1 ? 1 : 0;
    // A whole-row reference (`SELECT c FROM customers c`) carries its table but column 0: it is
    // computed, every column of the row in one value (lineage masks it).
    if (field.tableOid === 0 || field.columnAttribute <= 0) {
      return { name: field.name, table: null, typeOid: field.typeOid, format };
    }
    const table = this.deps.catalog.get(this.deps.connectionId, field.tableOid);
    const column = table?.columns.get(field.columnAttribute);
    return {
      // The catalog's name, not the label: `SELECT email AS e` is still the email column.
      name: column?.name ?? field.name,
      table: table === undefined ? null : { schema: table.schema, name: table.name },
      typeOid: field.typeOid,
      format,
    };
  }

  private policyMasker(): SessionMasker | null {
    return this.deps.context.policy().masker;
  }
}

const TEXT_FIELDS = [ErrorField.Message, ErrorField.Detail, ErrorField.Hint, ErrorField.Where];

/** A COPY that masking cannot follow: refused with 42501 naming why. */
function refusal(why: string): CopyResolution {
  return { kind: 'refuse', error: { code: SqlStates.InsufficientPrivilege, message: `Postern: ${why}` }, blocked: why };
}

function isAscii(table: { relation: CopyRelation; columns: string[] | null }): boolean {
  const names = [table.relation.schema ?? '', table.relation.name, ...(table.columns ?? [])];
  return names.every((name) => !/[\u0080-\uffff]/.test(name));
}

function rebuildNotice(
  error: boolean,
  options: { severity: string; code: string; message: string; detail?: string; hint?: string; where?: string },
): Buffer {
  return error
    ? errorResponse(options as Parameters<typeof errorResponse>[0])
    : noticeResponse(options as Parameters<typeof noticeResponse>[0]);
}

export function maskingFailure(why: string): SessionEnd {
  return new SessionEnd('error', `masking: ${why}`, {
    code: SqlStates.InternalError,
    message: `Postern could not apply masking to this result (${why}); the session is closed`,
  });
}
