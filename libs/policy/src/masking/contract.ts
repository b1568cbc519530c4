/*
 * CONTRACT (agreed with the agent and the control plane; implemented by the other files of this
 * folder, re-exported by ./index.ts). Behaviour in detail: libs/policy/README.md, "Masking".
 */
export type MaskingStyle = 'redact' | 'partial' | 'hash';
export type DetectorName = 'email' | 'payment_card' | 'iban' | 'phone' | 'national_id' | 'secret';

export interface MaskingSpec {
  /**
   * Column patterns: "email" (any table), "customers.email", "public.customers.card_*", "*_token".
   * A matching column's whole value is masked.
   */
  columns?: string[];
  /** Value detectors run over text values of every column; matches are masked in place. */
  detectors?: DetectorName[];
  /** Custom value detectors; the regex is validated (compiles, bounded, no catastrophic shapes). */
  customPatterns?: { name: string; regex: string }[];
  style: MaskingStyle;
}

export interface MaskingRuleInput {
  id: string;
  name: string;
  connectionIds: string[];
  exemptGroups: string[];
  spec: MaskingSpec;
}

/** One result column as RowDescription describes it, with its table resolved by the agent. */
export interface ResultColumn {
  name: string;
  /** Resolved from the table OID (0 → null): the agent looks it up in the target's catalog. */
  table: { schema: string; name: string } | null;
  typeOid: number;
  /** 0 text, 1 binary. */
  format: 0 | 1;
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
   * For COPY … TO STDOUT. `columns` null when unknown (COPY (query) …); then only detectors can
   * apply, and `refuse` is set when a column rule might have applied (the agent refuses the COPY).
   */
  planCopy(
    columns: readonly ResultColumn[] | null,
    format: 'text' | 'csv' | 'binary',
    options: { delimiter?: string; null?: string; quote?: string; escape?: string; header?: boolean },
  ): { masker: CopyMasker | null; refuse: string | null };
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
