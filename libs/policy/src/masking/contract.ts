/*
 * CONTRACT of the protocol-neutral masking core: rule bodies, styles and detectors, and the
 * names a protocol's masker matches column rules against. Each protocol's library plans its own
 * results with them (PostgreSQL DataRow/COPY: libs/policy-postgres). Behaviour in detail:
 * libs/policy/README.md, "Masking".
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

/** A result column as a protocol describes it, with its table resolved when the protocol says which. */
export interface ColumnRef {
  name: string;
  table: { schema: string; name: string } | null;
}

/**
 * A table column a value derives from (a protocol's lineage analysis reports these); `column`
 * null is the whole row (`c`, `c.*`, `to_json(c)`).
 */
export interface ColumnSource {
  /** The relation as the command names it; null schema when unqualified. */
  readonly schema: string | null;
  readonly relation: string;
  readonly column: string | null;
  /**
   * The value a function returns whose body the analysis cannot see (a user function): no column
   * rule can name it, but value detectors must not trust a reshaped form of it either.
   */
  readonly function?: true;
}
