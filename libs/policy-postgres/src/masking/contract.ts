/*
 * CONTRACT of PostgreSQL result masking (agreed with the agent; implemented by the other files
 * of this folder). Rule bodies, styles and detectors are libs/policy's. Behaviour in detail:
 * libs/policy-postgres/README.md, "Masking".
 */
import type { ColumnRef } from '@postern/policy';

/** One result column as RowDescription describes it, with its table resolved by the agent. */
export interface ResultColumn extends ColumnRef {
  /** Resolved from the table OID (0 → null): the agent looks it up in the target's catalog. */
  table: { schema: string; name: string } | null;
  typeOid: number;
  /** 0 text, 1 binary. */
  format: 0 | 1;
  /**
   * Set by `StatementMasking.annotate` for a computed column (table null) whose value derives
   * from masked columns: it is then redacted whole, whatever its name.
   */
  derived?: DerivedMasking;
}

/** How a computed column is masked because of where its value comes from (opaque to the agent). */
export interface DerivedMasking {
  /** Session index of a column rule one of its sources falls under: redacted whole. */
  readonly rule: number | null;
  /** Session index of the detector rule, when the value was reshaped from a table's text: redacted whole if text. */
  readonly detectorRule: number | null;
  /** A plain reference to the column (through subqueries): the rule keeps its own style. */
  readonly direct: boolean;
}

/** What masking needs of one SQL string, decided before it reaches the target. */
export interface StatementMasking {
  /** Why the string must not run (the client gets 42501 with this text), or null. */
  readonly refuse: string | null;
  /** One per top-level statement, in order (a simple Query may hold several). */
  readonly results: readonly ResultMasking[];
}

export interface ResultMasking {
  /**
   * Errors and notices while this statement runs may quote masked values (a failing cast, a
   * constraint violation's DETAIL): their texts are replaced, the SQLSTATE kept.
   */
  readonly scrubMessages: boolean;
  /** A `COPY (query) TO STDOUT`: its columns come from `copyColumns`. */
  readonly copyToClient: boolean;
  /** …in binary format. */
  readonly copyBinary: boolean;
  /** The result's columns with `derived` set where lineage says so (same array when nothing changes). */
  annotate(columns: readonly ResultColumn[]): readonly ResultColumn[];
  /**
   * For COPY (query) TO STDOUT, which has no RowDescription: one column per result column, text
   * typed, with the masking of each; 'none' when no column rule or reshaping applies, 'unknown'
   * when the SQL does not say how many columns there are (`*` over a table).
   */
  copyColumns(): readonly ResultColumn[] | 'none' | 'unknown';
}

export interface MaskingPolicy {
  /** null when no rule applies to this principal on this connection (zero per-row cost). */
  forSession(connectionId: string, groups: readonly string[]): SessionMasker | null;
}

export interface SessionMasker {
  /** True when some column rule exists: the agent must resolve table OIDs before planning. */
  readonly needsTables: boolean;
  /** null when nothing in this result can need masking: DataRows are forwarded untouched. */
  planRows(columns: readonly ResultColumn[]): RowMasker | null;
  /**
   * For COPY … TO STDOUT. `columns` null when no column rule applies to any column (a COPY of a
   * query whose lineage reaches no masked column): then only detectors apply. Whether a column
   * rule reaches a COPY (query) is the lineage's to say (`planStatement`), before it runs.
   */
  planCopy(
    columns: readonly ResultColumn[] | null,
    format: 'text' | 'csv' | 'binary',
    options: { delimiter?: string; null?: string; quote?: string; escape?: string; header?: boolean },
  ): { masker: CopyMasker | null; refuse: string | null };
  /** Lineage of a SQL string bound to this session's rules (cached per statement shape). */
  planStatement(sql: string): StatementMasking;
  /**
   * `text` with the session's value detectors applied (column rules cannot name free text): for
   * statement text and parameters kept in audit events, reviews and recordings. Not counted.
   */
  maskText(text: string): string;
  /** Values masked so far per rule id (for the audit's per-rule counts). */
  readonly counts: ReadonlyMap<string, number>;
}

export interface RowMasker {
  /**
   * `frame` is one whole DataRow message (type byte, length, body). Returns the frame unchanged
   * (the same Buffer) when nothing was masked, else a new, valid DataRow with lengths recomputed.
   */
  maskDataRow(frame: Buffer): Buffer;
}
// maskDataRow and maskCopyData throw MaskingError (./masking-error.ts) and nothing else when the
// server's bytes are not what the plan expects (a malformed frame, a column count that differs
// from the description): a protocol error, on which the agent ends the session (fail closed).

export interface CopyMasker {
  /** `frame` is one whole CopyData message; returns it unchanged or a new valid CopyData. */
  maskCopyData(frame: Buffer): Buffer;
  /**
   * At CopyDone. PostgreSQL sends whole rows, but a row split across CopyData messages is held
   * back until it is complete (the frame returned meanwhile carries only complete rows, possibly
   * none). Returns a CopyData with bytes still held (a final text row without its newline), or
   * null; throws MaskingError when a binary COPY ended inside a tuple.
   */
  finish(): Buffer | null;
}
