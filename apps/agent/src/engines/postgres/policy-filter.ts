import { randomBytes } from 'node:crypto';
import type { Logger } from '@postern/logging';
import type { AgentAuditKind } from '@postern/proto';
import { type StatementDecision } from '@postern/policy';
import {
  analyzeSql,
  type CopyMasker,
  type ResultColumn,
  type RowMasker,
  type ResultMasking,
  type SessionMasker,
  type StatementMasking,
} from '@postern/policy-postgres';
import {
  BackendCode,
  decodeCopyOutResponse,
  decodeErrorResponse,
  decodeNoticeResponse,
  decodeParameterStatus,
  decodeRowDescription,
  effectiveFormat,
  ErrorField,
  errorResponse,
  frontend,
  FrontendCode,
  noticeResponse,
  type FieldDescription,
  type Frame,
} from '@postern/wire-postgres';
import type { EngineContext, SessionPolicy } from '../engine.js';
import type { CatalogCache, CatalogQuery } from './catalog.js';
import { copyStatementsOf, type CopyStatement } from './copy-statements.js';
import { copiedColumns, copyFollowsOtherStatements, copyTablesQuery, type CopyRelation } from './copy-tables.js';
import type { FilterIo, FrameFilter, FrameVerdict } from './proxy.js';
import { SessionLookup } from './session-lookup.js';
import { SessionEnd, SqlStates } from './session-end.js';

/**
 * What the client is waiting for, in the order the server will answer: the proxy matches each
 * response to the message that caused it (PostgreSQL answers strictly in order), which tells
 * whose columns a DataRow has and which COPY a CopyOutResponse belongs to.
 */
type Expectation =
  | ({ kind: 'query'; sql: string; copies: CopyStatement[] | null; masking: StatementMasking | null } & Activity)
  | { kind: 'describe-statement'; name: string }
  | { kind: 'describe-portal'; name: string; hidden: boolean }
  | ({ kind: 'execute'; portal: string; statement: string; resultFormats: number[]; params: string[] } & Activity)
  | { kind: 'sync' };

/** What the recording says about a Query or an Execute once the server has answered it. */
interface Activity {
  startedAt: number;
  rows: number;
  tags: string[];
  error: { code: string; message: string } | null;
}

/** How a COPY … TO STDOUT of a table goes on once its names are looked up. */
type CopyResolution =
  | { kind: 'columns'; columns: (ResultColumn[] | null)[] }
  /** Refused with `error`; `blocked` is the reason audited when it is Postern's, not the server's. */
  | { kind: 'refuse'; error: { code: string; message: string }; blocked: string | null }
  | { kind: 'forward' }
  | { kind: 'drop' };

interface PortalBinding {
  statement: string;
  resultFormats: number[];
}

export interface PolicyFilterDeps {
  context: EngineContext;
  connectionId: string;
  catalog: CatalogCache;
  catalogQuery: CatalogQuery;
  logger: Logger;
}

/** Prefix of the marker relation in a refused statement's stand-in (see `refuse`). */
const MARKER = 'postern_refused_';
const MARKER_PATTERN = /postern_refused_[0-9a-f]{16}/;
/** Statement text kept in audit events, reviews and recordings. */
const MAX_AUDITED_SQL = 4096;
/** The decision when no statement rule applies (one object, not one per statement). */
const ALLOW: StatementDecision = { action: 'allow' };
/** Bytes of one text parameter kept in a recording. */
const MAX_RECORDED_PARAM = 1024;

/**
 * Enforces the session's policy on the wire: statement rules on every Query, Parse and
 * FunctionCall before it reaches the target, masking on every RowDescription/DataRow and COPY
 * out of it.
 *
 * A refused statement is never dropped from the stream: it is replaced by a stand-in that the
 * server itself rejects at parse time (`SELECT postern_refused_<nonce>.refused`, a reference to a
 * FROM entry that cannot exist), and the server's error is swapped for ours on the way back.
 * The server therefore does exactly what PostgreSQL does for a failing statement — aborts the
 * transaction, skips the extended-protocol pipeline to the next Sync, answers ReadyForQuery with
 * the right status — and the client sees a 42501 that names the rule.
 */
export class PolicyFilter implements FrameFilter {
  private io: FilterIo | null = null;
  private readonly expectations: Expectation[] = [];
  private readonly statements = new Map<string, string>();
  private readonly portals = new Map<string, PortalBinding & { params: string[] }>();
  /** Statements and portals whose description the client asked for while masking was on. */
  private readonly describedStatements = new Set<string>();
  private readonly describedPortals = new Set<string>();
  private readonly statementColumns = new Map<string, ResultColumn[]>();
  /** Lineage of each prepared statement's SQL under the session's masking rules. */
  private readonly statementMasking = new Map<string, StatementMasking>();
  private readonly portalColumns = new Map<string, ResultColumn[]>();
  /** Marker token → the ErrorResponse the client gets instead of the server's. */
  private readonly substitutions = new Map<string, Buffer>();
  /** Masker of the result being streamed: null none, undefined not yet decided. */
  private rows: RowMasker | null | undefined = undefined;
  private copy: CopyMasker | null = null;
  private readonly maskers = new Set<SessionMasker>();
  private readonly tally = { allowed: 0, refused: new Map<string, number>() };
  /**
   * Why SQL text cannot be checked right now, or null. The policy library reads SQL as UTF-8 with
   * standard-conforming strings; a session that changed either (so `'\''` or a multibyte
   * sequence means something else to the server) gets its statements refused while statement
   * rules apply, rather than checked under a reading the server does not share.
   */
  private uncheckable: string | null = null;
  private readonly settings = new Map<string, string>([
    ['standard_conforming_strings', 'on'],
    ['client_encoding', 'UTF8'],
  ]);
  /** Lookups on the session's own connection: what the tables of a COPY … TO STDOUT are. */
  private readonly lookup = new SessionLookup((bytes) => this.io?.toTarget(bytes));
  /** A Query's or Execute's COPY … TO STDOUT statements, in order: the columns each sends (null: a query's). */
  private readonly copiedTables = new WeakMap<Expectation, (ResultColumn[] | null)[]>();

  constructor(private readonly deps: PolicyFilterDeps) {}

  attach(io: FilterIo): void {
    this.io = io;
  }

  forwarded(frame: Frame): void {
    this.lookup.forwarded(frame);
  }

  /** The target's greeting (its ParameterStatus messages), seen before the proxy starts. */
  observeGreeting(frames: readonly Frame[]): void {
    for (const frame of frames) if (frame.code === BackendCode.ParameterStatus) this.onParameterStatus(frame);
  }

  private onParameterStatus(frame: Frame): void {
    const { name, value } = decodeParameterStatus(frame);
    if (name !== 'standard_conforming_strings' && name !== 'client_encoding') return;
    this.settings.set(name, value);
    const strings = this.settings.get('standard_conforming_strings')!.toLowerCase();
    const encoding = this.settings.get('client_encoding')!.toUpperCase().replace(/[-_]/g, '');
    this.uncheckable =
      strings !== 'on'
        ? 'standard_conforming_strings is off'
        : encoding !== 'UTF8'
          ? `client_encoding is ${this.settings.get('client_encoding')}, not UTF8`
          : null;
  }

  // ---------------------------------------------------------------- client → target

  fromClient(frame: Frame): FrameVerdict {
    switch (frame.code) {
      case FrontendCode.Query: {
        const sql = cstring(frame.body, 0).value;
        const expectation: Expectation = {
          kind: 'query',
          sql,
          copies: null,
          masking: null,
          startedAt: Date.now(),
          rows: 0,
          tags: [],
          error: null,
        };
        this.expectations.push(expectation);
        return this.enforce(sql, frame, (marker) => frontend.query(marker));
      }
      case FrontendCode.Parse: {
        const name = cstring(frame.body, 0);
        const sql = cstring(frame.body, name.next).value;
        this.statements.set(name.value, sql);
        this.describedStatements.delete(name.value);
        this.statementColumns.delete(name.value);
        this.statementMasking.delete(name.value);
        return this.enforce(sql, frame, (marker) => frontend.parse({ name: name.value, sql: marker }));
      }
      case FrontendCode.Bind: {
        const binding = readBind(frame.body);
        this.portals.set(binding.portal, {
          statement: binding.statement,
          resultFormats: binding.resultFormats,
          params: binding.params,
        });
        this.describedPortals.delete(binding.portal);
        this.portalColumns.delete(binding.portal);
        return frame.bytes;
      }
      case FrontendCode.Describe: {
        const name = cstring(frame.body, 1).value;
        const masking = this.policy().masker !== null;
        if (frame.body[0] === 0x53) {
          this.expectations.push({ kind: 'describe-statement', name });
          if (masking) this.describedStatements.add(name);
        } else {
          this.expectations.push({ kind: 'describe-portal', name, hidden: false });
          if (masking) this.describedPortals.add(name);
        }
        return frame.bytes;
      }
      case FrontendCode.Execute:
        return this.onExecute(frame);
      case FrontendCode.Sync:
        this.expectations.push({ kind: 'sync' });
        return frame.bytes;
      case FrontendCode.Close: {
        const name = cstring(frame.body, 1).value;
        if (frame.body[0] === 0x53) {
          this.statements.delete(name);
          this.describedStatements.delete(name);
          this.statementColumns.delete(name);
          this.statementMasking.delete(name);
        } else {
          this.portals.delete(name);
          this.describedPortals.delete(name);
          this.portalColumns.delete(name);
        }
        return frame.bytes;
      }
      case FrontendCode.FunctionCall:
        return this.onFunctionCall(frame);
      default:
        return frame.bytes;
    }
  }

  /**
   * An Execute whose result columns we will not otherwise learn (the client did not describe the
   * portal or its statement, as drivers do for statements they prepared earlier) gets a Describe
   * of our own in front of it, answered to us alone: masking never guesses a row's columns.
   */
  private onExecute(frame: Frame): FrameVerdict {
    const portal = cstring(frame.body, 0).value;
    const binding = this.portals.get(portal);
    const execute: Expectation = {
      kind: 'execute',
      portal,
      statement: binding?.statement ?? '',
      resultFormats: binding?.resultFormats ?? [],
      params: binding?.params ?? [],
      startedAt: Date.now(),
      rows: 0,
      tags: [],
      error: null,
    };
    const known =
      this.describedPortals.has(portal) || (binding !== undefined && this.describedStatements.has(binding.statement));
    if (this.policy().masker === null || known) {
      this.expectations.push(execute);
      return this.resolveCopyOnExecute(execute, null, frame);
    }
    this.describedPortals.add(portal);
    this.expectations.push({ kind: 'describe-portal', name: portal, hidden: true }, execute);
    return this.resolveCopyOnExecute(execute, frontend.describe('P', portal), frame);
  }

  /**
   * The fast-path FunctionCall names a function by OID, out of reach of statement rules (it is
   * how clients drive large objects: lo_open, loread, lowrite). Refused whenever statement rules
   * apply to the session; the stand-in Query is answered like a FunctionCall (an error, then
   * ReadyForQuery).
   */
  private onFunctionCall(frame: Frame): FrameVerdict {
    this.expectations.push({ kind: 'sync' });
    if (this.policy().statements.empty) return frame.bytes;
    this.audit('statement.blocked', 'blocked', undefined, { sql: '(FunctionCall)', reason: 'fast-path call' });
    return this.refuse((marker) => frontend.query(marker), {
      code: SqlStates.InsufficientPrivilege,
      message: 'Postern: fast-path function calls are not allowed on this connection',
    });
  }

  private enforce(sql: string, frame: Frame, standIn: (marker: string) => Buffer): FrameVerdict {
    const policy = this.policy();
    if (this.uncheckable !== null && !policy.statements.empty && !isSettingReset(sql)) {
      this.audit('statement.blocked', 'blocked', undefined, { sql: this.shown(sql), reason: this.uncheckable });
      return this.refuse(standIn, {
        code: SqlStates.InsufficientPrivilege,
        message: `Postern cannot check statements while ${this.uncheckable}; reset it to use this connection`,
      });
    }
    const decision: StatementDecision = policy.statements.empty ? ALLOW : policy.statements.evaluate(sql);
    switch (decision.action) {
      case 'allow': {
        const refusal = policy.masker === null ? null : this.maskingRefusal(sql, frame, policy.masker);
        if (refusal === null) {
          this.tally.allowed++;
          return this.resolveCopies(sql, frame, standIn); // COPY … TO STDOUT of a table: resolved on the session's connection
        }
        this.audit('statement.blocked', 'blocked', undefined, { sql: this.shown(sql), reason: refusal });
        return this.refuse(standIn, { code: SqlStates.InsufficientPrivilege, message: `Postern: ${refusal}` });
      }
      case 'block':
        this.count(decision.rule.id);
        this.audit('statement.blocked', 'blocked', decision.rule.id, {
          sql: this.shown(sql),
          rule: decision.rule.name,
          reason: decision.reason,
        });
        return this.refuse(standIn, {
          code: SqlStates.InsufficientPrivilege,
          message: `Postern rule "${decision.rule.name}" blocked this statement: ${decision.reason}`,
        });
      case 'invalid':
        return this.refuse(standIn, {
          code: SqlStates.SyntaxError,
          message: decision.message,
          // The library counts from 0; PostgreSQL's position field from 1.
          ...(decision.position === null ? {} : { position: decision.position + 1 }),
        });
      case 'hold':
        return this.hold(decision, sql, frame, standIn);
    }
  }

  /** Holds the statement (and, by the proxy's lane, everything the client sent after it). */
  private async hold(
    decision: Extract<StatementDecision, { action: 'hold' }>,
    sql: string,
    frame: Frame,
    standIn: (marker: string) => Buffer,
  ): Promise<Buffer | null> {
    const { rule } = decision;
    const { reviewId, outcome } = this.deps.context.requestApproval({ rule, command: this.shown(sql) });
    this.audit('statement.held', 'held', rule.id, { sql: this.shown(sql), reviewId, reason: decision.reason });
    this.io?.toClient(
      noticeResponse({
        severity: 'NOTICE',
        code: '01000',
        message: `Postern: this statement awaits approval (review ${reviewId})`,
        detail: `Rule "${rule.name}" holds it: ${decision.reason}. Waiting up to ${rule.timeoutSeconds} s.`,
      }),
    );
    const result = await outcome;
    if (result.outcome === 'cancelled') return null;
    const details = { reviewId, decidedBy: result.decidedBy, comment: result.comment };
    if (result.outcome === 'approved') {
      this.tally.allowed++;
      this.audit('statement.approved', 'approved', rule.id, details);
      const masker = this.policy().masker;
      const refusal = masker === null ? null : this.maskingRefusal(sql, frame, masker);
      if (refusal !== null) {
        this.audit('statement.blocked', 'blocked', undefined, { sql: this.shown(sql), reason: refusal });
        return this.refuse(standIn, { code: SqlStates.InsufficientPrivilege, message: `Postern: ${refusal}` });
      }
      return await this.resolveCopies(sql, frame, standIn); // COPY … TO STDOUT of a table: resolved on the session's connection
    }
    this.count(rule.id);
    this.audit(`statement.${result.outcome}`, result.outcome, rule.id, details);
    const why =
      result.outcome === 'rejected'
        ? `rejected by ${result.decidedBy || 'a reviewer'}${result.comment ? `: ${result.comment}` : ''}`
        : 'no approval in time';
    return this.refuse(standIn, {
      code: SqlStates.InsufficientPrivilege,
      message: `Postern: statement not approved (review ${reviewId}): ${why}`,
    });
  }

  /**
   * Masking by lineage: where each result column of `sql` comes from, bound to the session's
   * rules. A statement whose masked values would leave any other way (a write, a view or
   * function created for later, a function with side effects, SQL that cannot be followed) is
   * refused; otherwise the plan is kept for its results — on the Query's expectation, or under
   * the prepared statement's name.
   */
  private maskingRefusal(sql: string, frame: Frame, masker: SessionMasker): string | null {
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
      const head = this.expectations[this.expectations.length - 1];
      if (head?.kind === 'query') head.masking = plan;
    } else if (frame.code === FrontendCode.Parse) {
      this.statementMasking.set(cstring(frame.body, 0).value, plan);
    }
    return null;
  }

  /** The lineage plan of the statement an answer from the server belongs to. */
  private resultMasking(head: Expectation | undefined): ResultMasking | null {
    switch (head?.kind) {
      case 'query':
        return head.masking?.results[head.tags.length] ?? null;
      case 'execute':
        return this.statementMasking.get(head.statement)?.results[0] ?? null;
      case 'describe-statement':
        return this.statementMasking.get(head.name)?.results[0] ?? null;
      case 'describe-portal': {
        const binding = this.portals.get(head.name);
        return binding === undefined ? null : (this.statementMasking.get(binding.statement)?.results[0] ?? null);
      }
      default:
        return null;
    }
  }

  /**
   * An ErrorResponse or NoticeResponse while masking applies. Texts can quote values (a failing
   * cast, a constraint's DETAIL, RAISE): for a statement that reads a masked column inside an
   * expression they are replaced whole (SQLSTATE and severity kept); otherwise value detectors
   * run over them.
   */
  private scrubbed(frame: Frame): Buffer {
    const masker = this.policy().masker;
    if (masker === null) return frame.bytes;
    const error = frame.code === BackendCode.ErrorResponse;
    const fields = (error ? decodeErrorResponse(frame) : decodeNoticeResponse(frame)).fields;
    const severity =
      fields[ErrorField.SeverityNonLocalized] ?? fields[ErrorField.Severity] ?? (error ? 'ERROR' : 'NOTICE');
    const code = fields[ErrorField.Code] ?? 'XX000';
    if (this.resultMasking(this.expectations[0])?.scrubMessages === true) {
      const message = `Postern hid the server's message: this statement reads a masked column, whose values it could quote (SQLSTATE ${code})`;
      return rebuildNotice(error, { severity, code, message });
    }
    const texts = [ErrorField.Message, ErrorField.Detail, ErrorField.Hint, ErrorField.Where].map((field) => {
      const text = fields[field];
      return text === undefined ? undefined : masker.maskText(text);
    });
    if (
      texts.every(
        (text, i) => text === fields[[ErrorField.Message, ErrorField.Detail, ErrorField.Hint, ErrorField.Where][i]!],
      )
    ) {
      return frame.bytes;
    }
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

  private refuse(standIn: (marker: string) => Buffer, error: { code: string; message: string; position?: number }) {
    const token = `${MARKER}${randomBytes(8).toString('hex')}`;
    this.substitutions.set(token, errorResponse({ severity: 'ERROR', ...error }));
    return standIn(`SELECT ${token}.refused`);
  }

  // ---------------------------------------------------------------- target → client

  fromTarget(frame: Frame): FrameVerdict {
    if (this.lookup.fromTarget(frame)) return null;
    switch (frame.code) {
      case BackendCode.DataRow: {
        const current = this.current;
        if (current !== null) current.rows++;
        const rows = this.rows;
        if (rows === null) return frame.bytes;
        if (rows !== undefined) return rows.maskDataRow(frame.bytes);
        return this.firstRow(frame);
      }
      case BackendCode.RowDescription:
        return this.onRowDescription(frame);
      case BackendCode.NoData: {
        const head = this.expectations[0];
        if (head?.kind === 'describe-statement' || head?.kind === 'describe-portal') {
          this.expectations.shift();
          if (head.kind === 'describe-portal' && head.hidden) return null;
        }
        return frame.bytes;
      }
      case BackendCode.CommandComplete:
      case BackendCode.PortalSuspended:
      case BackendCode.EmptyQueryResponse: {
        const head = this.expectations[0];
        if (head?.kind === 'execute' || head?.kind === 'query') {
          if (frame.code === BackendCode.CommandComplete) head.tags.push(cstring(frame.body, 0).value);
          if (head.kind === 'execute') {
            this.expectations.shift();
            this.recordActivity(head);
          }
        }
        this.rows = undefined;
        this.copy = null;
        return frame.bytes;
      }
      case BackendCode.CopyOutResponse:
        return this.onCopyOut(frame);
      case BackendCode.CopyData:
        return this.copy === null ? frame.bytes : this.copy.maskCopyData(frame.bytes);
      case BackendCode.CopyDone: {
        // A last text row without its newline (PostgreSQL never sends one) is flushed masked.
        const rest = this.copy?.finish() ?? null;
        this.copy = null;
        return rest === null ? frame.bytes : Buffer.concat([rest, frame.bytes]);
      }
      case BackendCode.ErrorResponse:
        return this.onError(frame);
      case BackendCode.NoticeResponse:
        return this.scrubbed(frame);
      case BackendCode.ParameterStatus:
        this.onParameterStatus(frame);
        return frame.bytes;
      case BackendCode.ReadyForQuery: {
        let head: Expectation | undefined;
        while ((head = this.expectations.shift()) !== undefined) {
          if (head.kind === 'query') this.recordActivity(head);
          if (head.kind === 'sync' || head.kind === 'query') break;
        }
        this.rows = undefined;
        this.copy = null;
        if (this.expectations.length === 0) this.substitutions.clear();
        return frame.bytes;
      }
      default:
        return frame.bytes;
    }
  }

  private onError(frame: Frame): Buffer {
    let bytes = this.scrubbed(frame);
    if (this.substitutions.size > 0) {
      const message = decodeErrorResponse(frame).fields[ErrorField.Message] ?? '';
      const token = MARKER_PATTERN.exec(message)?.[0];
      const ours = token === undefined ? undefined : this.substitutions.get(token);
      if (ours !== undefined) {
        this.substitutions.delete(token!);
        bytes = ours;
      }
    }
    const head = this.expectations[0];
    if (head?.kind === 'query' || head?.kind === 'execute') head.error = errorOf(bytes);
    // An error ends the current statement of a simple Query, and skips an extended-protocol
    // pipeline to its Sync: nothing up to there will be answered.
    if (head?.kind !== 'query') {
      while (this.expectations.length > 0 && this.expectations[0]!.kind !== 'sync') {
        const skipped = this.expectations.shift()!;
        if (skipped.kind === 'execute' && skipped === head) this.recordActivity(skipped);
      }
    }
    this.rows = undefined;
    this.copy = null;
    return bytes;
  }

  private onRowDescription(frame: Frame): FrameVerdict {
    const masker = this.policy().masker;
    if (masker === null) {
      const head = this.expectations[0];
      if (head?.kind === 'describe-statement' || head?.kind === 'describe-portal') {
        this.expectations.shift();
        if (head.kind === 'describe-portal' && head.hidden) return null;
      } else {
        this.rows = null;
      }
      return frame.bytes;
    }
    this.maskers.add(masker);
    const fields = decodeRowDescription(frame).fields;
    const missing = this.deps.catalog.missing(
      this.deps.connectionId,
      fields.map((field) => field.tableOid),
    );
    if (missing.length === 0) return this.described(frame, fields, masker);
    return this.deps.catalog
      .load(this.deps.connectionId, missing, this.deps.catalogQuery)
      .then(() => this.described(frame, fields, masker))
      .catch((error: unknown) => {
        throw maskingFailure(`the result's tables could not be looked up: ${(error as Error).message}`);
      });
  }

  private described(frame: Frame, fields: FieldDescription[], masker: SessionMasker): Buffer | null {
    const head = this.expectations[0];
    const named = fields.map((field) => this.resultColumn(field));
    // Computed columns derived from masked ones are masked too, by the statement's lineage.
    const annotated = this.resultMasking(head)?.annotate(named) ?? named;
    const columns = annotated === named ? named : [...annotated];
    switch (head?.kind) {
      case 'describe-statement':
        this.expectations.shift();
        this.statementColumns.set(head.name, columns);
        return frame.bytes;
      case 'describe-portal':
        this.expectations.shift();
        this.portalColumns.set(head.name, columns);
        return head.hidden ? null : frame.bytes;
      default:
        this.rows = masker.planRows(columns);
        return frame.bytes;
    }
  }

  /** The first DataRow of an Execute: its columns come from the portal's (or statement's) description. */
  private firstRow(frame: Frame): Buffer {
    const masker = this.policy().masker;
    if (masker === null) {
      this.rows = null;
      return frame.bytes;
    }
    this.maskers.add(masker);
    const head = this.expectations[0];
    let columns: ResultColumn[] | undefined;
    if (head?.kind === 'execute') {
      columns = this.portalColumns.get(head.portal);
      if (columns === undefined) {
        const described = this.statementColumns.get(head.statement);
        columns = described?.map((column, i) => ({
          ...column,
          format: effectiveFormat(head.resultFormats, i) === 1 ? 1 : 0,
        }));
      }
    }
    // Fail closed: rows whose columns we cannot name are never forwarded unmasked.
    if (columns === undefined) throw maskingFailure('a result arrived whose columns are unknown');
    this.rows = masker.planRows(columns);
    return this.rows === null ? frame.bytes : this.rows.maskDataRow(frame.bytes);
  }

  private onCopyOut(frame: Frame): FrameVerdict {
    const masker = this.policy().masker;
    if (masker === null) return frame.bytes;
    this.maskers.add(masker);
    const head = this.expectations[0];
    const sql =
      head?.kind === 'query' ? head.sql : head?.kind === 'execute' ? (this.statements.get(head.statement) ?? '') : '';
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
      const lineage = this.resultMasking(head)?.copyColumns() ?? 'none';
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

  // ---------------------------------------------------------------- COPY … TO STDOUT of a table

  /**
   * A Query whose COPY … TO STDOUT statements name tables, under masking: before it reaches the
   * server, the tables are resolved on the session's own connection — temporary tables, tables
   * created in the open transaction and the session's search_path included — and the columns
   * each COPY sends are kept for its CopyOutResponse. When masking cannot follow the statement
   * it is refused alone, and the session goes on. Called by `enforce` for a statement it allows
   * (a Parse is left alone: a COPY's table is resolved when its portal is executed).
   */
  private resolveCopies(sql: string, frame: Frame, standIn: (marker: string) => Buffer): FrameVerdict {
    const masker = this.policy().masker;
    if (masker === null || frame.code !== FrontendCode.Query || !/copy/i.test(sql)) return frame.bytes;
    const copies = copyStatementsOf(sql).filter((c) => c.direction === 'to');
    const query = this.expectations[this.expectations.length - 1];
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
  private resolveCopyOnExecute(
    execute: Extract<Expectation, { kind: 'execute' }>,
    describe: Buffer | null,
    frame: Frame,
  ): FrameVerdict {
    const bytes = describe === null ? frame.bytes : Buffer.concat([describe, frame.bytes]);
    const masker = this.policy().masker;
    const sql = this.statements.get(execute.statement) ?? '';
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
    const encoding = this.settings.get('client_encoding')!;
    if (encoding.toUpperCase().replace(/[-_]/g, '') !== 'UTF8' && tables.some((t) => !isAscii(t))) {
      const why = `a table or column name that is not ASCII cannot be looked up while client_encoding is ${encoding}`;
      return refusal(why);
    }
    const outcome = await this.lookup.run(copyTablesQuery(tables.map((t) => t.relation)), held);
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
  private settleCopy(
    resolution: CopyResolution,
    sql: string,
    bytes: Buffer,
    standIn: (marker: string) => Buffer,
  ): Buffer | null {
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
        if (resolution.blocked !== null) {
          this.audit('statement.blocked', 'blocked', undefined, { sql: this.shown(sql), reason: resolution.blocked });
        }
        return this.refuse(standIn, resolution.error);
    }
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

  // ---------------------------------------------------------------- bookkeeping

  /** The Query or Execute whose results are streaming, if any. */
  private get current(): Extract<Expectation, Activity> | null {
    const head = this.expectations[0];
    return head?.kind === 'query' || head?.kind === 'execute' ? head : null;
  }

  /** Statement text as audit events, reviews and recordings keep it: bounded, values masked. */
  private shown(sql: string): string {
    return maskText(this.policy().masker, audited(sql));
  }

  /** One `statement` event per Query or Execute, once the server has answered it. */
  private recordActivity(done: Extract<Expectation, Activity>): void {
    const masker = this.policy().masker;
    const sql = done.kind === 'query' ? done.sql : (this.statements.get(done.statement) ?? '');
    const event: Record<string, unknown> = {
      protocol: done.kind === 'query' ? 'simple' : 'extended',
      sql: maskText(masker, audited(sql)),
      durationMs: Date.now() - done.startedAt,
      rows: done.rows,
      tags: done.tags,
    };
    if (done.kind === 'execute') {
      if (done.statement !== '') event['statement'] = done.statement;
      if (done.params.length > 0) event['params'] = done.params.map((p) => maskText(masker, p));
    }
    if (done.error !== null) event['error'] = done.error;
    this.deps.context.record('statement', event);
  }

  private policy(): SessionPolicy {
    return this.deps.context.policy();
  }

  private count(ruleId: string): void {
    this.tally.refused.set(ruleId, (this.tally.refused.get(ruleId) ?? 0) + 1);
  }

  private audit(
    kind: AgentAuditKind,
    decision: string,
    ruleId: string | undefined,
    details: Record<string, unknown>,
  ): void {
    this.deps.context.audit({
      kind,
      decision,
      ...(ruleId === undefined ? {} : { ruleId }),
      policyVersion: this.policy().version,
      details,
    });
  }

  /**
   * The session is ending: statements sent to the server and never answered (the target died, the
   * client left mid-result) are recorded too, so the recording shows everything that reached it.
   */
  sessionEnded(reason: string): void {
    for (const pending of this.expectations.splice(0)) {
      if (pending.kind !== 'query' && pending.kind !== 'execute') continue;
      pending.error ??= { code: 'unanswered', message: `the session ended (${reason}) before the server answered` };
      this.recordActivity(pending);
    }
  }

  /** Per-rule counts for the session's closing audit event; null when no policy ever applied. */
  summary(): Record<string, unknown> | null {
    const masked: Record<string, number> = {};
    for (const masker of this.maskers) {
      for (const [ruleId, n] of masker.counts) masked[ruleId] = (masked[ruleId] ?? 0) + n;
    }
    if (this.maskers.size === 0 && this.tally.refused.size === 0 && this.policy().statements.empty) return null;
    return {
      statementsAllowed: this.tally.allowed,
      statementsRefusedByRule: Object.fromEntries(this.tally.refused),
      valuesMaskedByRule: masked,
    };
  }
}

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

function maskingFailure(why: string): SessionEnd {
  return new SessionEnd('error', `masking: ${why}`, {
    code: SqlStates.InternalError,
    message: `Postern could not apply masking to this result (${why}); the session is closed`,
  });
}

/**
 * A lone SET/RESET in plain ASCII with no backslash reads the same under any string setting:
 * that is how a session that made itself uncheckable gets back (`RESET standard_conforming_strings`).
 */
function isSettingReset(sql: string): boolean {
  if (!/^[\x20-\x7e\t\r\n]*$/.test(sql) || sql.includes('\\')) return false;
  const analysis = analyzeSql(sql);
  return (
    analysis.ok &&
    analysis.statements.length === 1 &&
    analysis.statements[0]!.kinds.some((kind) => kind === 'SET' || kind === 'RESET')
  );
}

function errorOf(bytes: Buffer): { code: string; message: string } | null {
  try {
    const fields = decodeErrorResponse({ code: BackendCode.ErrorResponse, body: bytes.subarray(5) } as Frame).fields;
    return { code: fields[ErrorField.Code] ?? '', message: fields[ErrorField.Message] ?? '' };
  } catch {
    return null;
  }
}

/** A recorded value (SQL text, a parameter) with the session's value detectors applied. */
function maskText(masker: SessionMasker | null, text: string): string {
  return masker === null ? text : masker.maskText(text);
}

function audited(sql: string): string {
  return sql.length <= MAX_AUDITED_SQL ? sql : `${sql.slice(0, MAX_AUDITED_SQL)}…`;
}

/** A NUL-terminated string at `offset`; a missing terminator takes the rest (the server rejects it). */
function cstring(body: Buffer, offset: number): { value: string; next: number } {
  let end = body.indexOf(0, offset);
  if (end < 0) end = body.length;
  return { value: body.toString('utf8', offset, end), next: end + 1 };
}

/** Portal, statement and result formats of a Bind, skipping its parameters without copying them. */
function readBind(body: Buffer): { portal: string; statement: string; resultFormats: number[]; params: string[] } {
  const portal = cstring(body, 0);
  const statement = cstring(body, portal.next);
  const resultFormats: number[] = [];
  const params: string[] = [];
  let offset = statement.next;
  try {
    const formatCount = body.readInt16BE(offset);
    const formats: number[] = [];
    for (let i = 0; i < formatCount; i++) formats.push(body.readInt16BE(offset + 2 + 2 * i));
    offset += 2 + 2 * formatCount;
    const count = body.readInt16BE(offset);
    offset += 2;
    for (let i = 0; i < count; i++) {
      const length = body.readInt32BE(offset);
      offset += 4;
      if (length < 0) params.push('NULL');
      else if (effectiveFormat(formats, i) === 1) params.push(`<binary, ${length} bytes>`);
      else params.push(body.toString('utf8', offset, offset + Math.min(length, MAX_RECORDED_PARAM)));
      offset += Math.max(0, length);
    }
    const results = body.readInt16BE(offset);
    offset += 2;
    for (let i = 0; i < results; i++) resultFormats.push(body.readInt16BE(offset + 2 * i));
  } catch {
    // A malformed Bind: the server refuses it; results in text format is the safe reading.
  }
  return { portal: portal.value, statement: statement.value, resultFormats, params };
}
