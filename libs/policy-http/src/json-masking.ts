/*
 * Masking of JSON bodies: a masking rule's `columns` patterns name JSON keys — `email` (a key of
 * that name at any depth), `customer.email` (under a key `customer`), `data.customer.email` — the
 * same syntax and case-insensitive matching as column patterns, read against the last keys of a
 * value's path; array positions are not part of the path (`emails` masks every element of an
 * `emails` array, `items.price` every item's price). A key whose value is an object or array masks
 * everything inside. Detectors and custom patterns run over every other string value.
 */
import {
  type ColumnRef,
  type CompiledMaskingRule,
  DetectionEngine,
  detectionEntries,
  Hasher,
  maskWholeString,
  STYLE_STRENGTH,
} from '@postern/policy';

export type JsonKeyPattern = CompiledMaskingRule['columns'][number];

/** Kept for callers that compile key patterns themselves; rules compile them already. */
export { compileColumnPattern as compileJsonKeyPattern } from '@postern/policy';

/**
 * One response's masker (its counts are per body): the shape the agent's streaming JSON
 * rewriter asks for (`matchPath`, `maskScalar`, `scanStrings`).
 */
export class JsonBodyMasker {
  readonly scanStrings: boolean;
  /** Whether any rule names keys (else keys are not decoded at all). */
  readonly pathsMatter: boolean;
  /** Values masked per rule, in the order of `rules`. */
  readonly counts: Float64Array;
  private readonly hasher: Hasher;
  private readonly detection: DetectionEngine;
  private readonly keyed: boolean;
  /** No rule names a parent key (`email`, not `customer.email`): the last key decides alone. */
  private readonly byKeyOnly: boolean;

  constructor(
    private readonly rules: readonly CompiledMaskingRule[],
    hashKey: Buffer,
  ) {
    this.counts = new Float64Array(rules.length);
    this.hasher = new Hasher(hashKey);
    this.detection = new DetectionEngine(detectionEntries(rules), this.hasher, this.counts);
    this.scanStrings = this.detection.active;
    this.keyed = rules.some((rule) => rule.columns.length > 0);
    this.pathsMatter = this.keyed;
    this.byKeyOnly = rules.every((rule) => rule.columns.every((matcher) => !matcher.qualified));
  }

  /** The detectors' prefilter on raw JSON bytes: false when nothing can match (no decoding needed). */
  mayMatch(bytes: Buffer, start: number, end: number): boolean {
    return this.detection.candidates(bytes, start, end, true) !== 0;
  }

  /** Decisions by the last three keys: a large body repeats the same few key paths. */
  private readonly decisions = new Map<string, string | null>();

  /** The index of the strongest rule naming this path (as text), or null. */
  matchPath(path: readonly (string | number)[]): string | null {
    if (!this.keyed) return null;
    if (this.byKeyOnly) {
      const last = lastKey(path);
      if (last === null) return null;
      const known = this.decisions.get(last);
      if (known !== undefined) return known;
      return this.decide(last, { name: last, table: null });
    }
    const column = columnOf(path);
    if (column === null) return null;
    const key = `${column.table?.schema ?? ''}\0${column.table?.name ?? ''}\0${column.name}\0${column.table ? 1 : 0}`;
    const known = this.decisions.get(key);
    if (known !== undefined) return known;
    return this.decide(key, column);
  }

  private decide(key: string, column: ColumnRef): string | null {
    let best = -1;
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      if (!rule.columns.some((matcher) => matcher.matches(column))) continue;
      if (best < 0 || STYLE_STRENGTH[rule.style] > STYLE_STRENGTH[this.rules[best]!.style]) best = i;
    }
    const decision = best < 0 ? null : String(best);
    if (this.decisions.size < 4096) this.decisions.set(key, decision);
    return decision;
  }

  maskScalar(raw: string, text: string | null, match: string | null): string | undefined {
    if (match !== null) {
      const index = Number(match);
      const rule = this.rules[index]!;
      this.counts[index]!++;
      return JSON.stringify(maskWholeString(rule.style, this.hasher, text ?? raw));
    }
    if (text === null || !this.detection.active) return undefined;
    const rewritten = this.detection.rewrite(text);
    return rewritten === undefined ? undefined : JSON.stringify(rewritten);
  }

  /** Masked values per rule id (for the audit summary). */
  maskedByRule(): Record<string, number> {
    const out: Record<string, number> = {};
    this.rules.forEach((rule, i) => {
      if (this.counts[i]! > 0) out[rule.id] = this.counts[i]!;
    });
    return out;
  }
}

/** The last object key of a path (array positions skipped), or null at the top. */
function lastKey(path: readonly (string | number)[]): string | null {
  for (let i = path.length - 1; i >= 0; i--) {
    const key = path[i];
    if (typeof key === 'string') return key;
  }
  return null;
}

/** The last three keys of a path as a column reference (key, parent as table, grandparent as schema). */
function columnOf(path: readonly (string | number)[]): ColumnRef | null {
  const keys: string[] = [];
  for (let i = path.length - 1; i >= 0 && keys.length < 3; i--) {
    const key = path[i];
    if (typeof key === 'string') keys.push(key);
  }
  if (keys.length === 0) return null;
  return {
    name: keys[0]!,
    table: keys.length > 1 ? { name: keys[1]!, schema: keys[2] ?? '' } : null,
  };
}
