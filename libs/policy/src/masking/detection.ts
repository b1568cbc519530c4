import type { DetectorName, MaskingStyle } from './contract.js';
import { eachMatch } from './detectors/detector.js';
import { candidatesInBytes, candidatesInString, Candidate, DETECTORS, type MatchSink } from './detectors/index.js';
import type { CompiledMaskingRule } from './rules.js';
import { type Hasher, maskMatch, STYLE_STRENGTH } from './styles.js';

/** One thing to look for inside values, on behalf of one rule, masked in that rule's style. */
export interface DetectionEntry {
  /** Prefilter bit that must be set (0: always scan — custom patterns have no prefilter). */
  candidate: number;
  scan(text: string, found: MatchSink): void;
  /** Index of the rule in the session (for counts). */
  rule: number;
  style: MaskingStyle;
}

/**
 * Runs a session's detectors over decoded text and masks what they find in place. Matches of
 * different detectors that overlap are resolved by keeping the earliest (then the longest, then
 * the strongest style). Scratch arrays are reused: a masker is used by one session, synchronously.
 */
export class DetectionEngine {
  /** Prefilter bits of the built-in detectors in use. */
  private readonly wanted: number;
  private readonly hasCustom: boolean;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly owners: number[] = [];
  private readonly canonicals: string[] = [];
  /** Matches in the scratch arrays (which only grow: resetting an array's length is not free). */
  private found = 0;
  private scanning = 0;
  private readonly sink: MatchSink = (start, end, canonical) => {
    const k = this.found++;
    this.starts[k] = start;
    this.ends[k] = end;
    this.owners[k] = this.scanning;
    this.canonicals[k] = canonical;
  };

  constructor(
    private readonly entries: readonly DetectionEntry[],
    private readonly hasher: Hasher,
    private readonly counts: Float64Array,
  ) {
    this.wanted = entries.reduce((bits, e) => bits | e.candidate, 0);
    this.hasCustom = entries.some((e) => e.candidate === 0);
  }

  get active(): boolean {
    return this.entries.length > 0;
  }

  /** Bits for text that no built-in detector can match (int4, date…): custom patterns only. */
  get customOnly(): number {
    return this.hasCustom ? CUSTOM_BIT : 0;
  }

  /**
   * Prefilter bits of bytes, or 0 when nothing can match there. `json`: a backslash may hide
   * anything behind an escape, so JSON with escapes is always decoded and scanned.
   */
  candidates(src: Uint8Array, start: number, end: number, json = false): number {
    const bits = candidatesInBytes(src, start, end);
    if (json && (bits & Candidate.escape) !== 0) return ALL_BITS;
    const useful = bits & this.wanted;
    return useful !== 0 || this.hasCustom ? useful | CUSTOM_BIT : 0;
  }

  /**
   * `text` with every match masked, or undefined when nothing matched. `count`: false for text
   * that is not a result value (statement text in recordings), so per-rule counts stay about results.
   */
  rewrite(text: string, bits = ALL_BITS, count = true): string | undefined {
    if (this.collect(text, bits) === 0) return undefined;
    let out = '';
    let at = 0;
    for (let k = 0; k < this.found; k++) {
      const start = this.starts[k]!;
      if (start < at) continue; // overlaps a match already masked
      const end = this.ends[k]!;
      const entry = this.entries[this.owners[k]!]!;
      out += text.slice(at, start) + maskMatch(entry.style, this.hasher, text.slice(start, end), this.canonicals[k]!);
      if (count) this.counts[entry.rule]!++;
      at = end;
    }
    return out + text.slice(at);
  }

  /** Whether anything matches (counting each match): for values that can only become NULL. */
  matches(text: string, bits = ALL_BITS): boolean {
    if (this.collect(text, bits) === 0) return false;
    let at = 0;
    for (let k = 0; k < this.found; k++) {
      if (this.starts[k]! < at) continue;
      this.counts[this.entries[this.owners[k]!]!.rule]!++;
      at = this.ends[k]!;
    }
    return true;
  }

  /** Scans with every entry whose prefilter bit is set; leaves matches sorted in the scratch arrays. */
  private collect(text: string, bits: number): number {
    this.found = 0;
    if (bits === ALL_BITS) bits = candidatesInString(text) | CUSTOM_BIT;
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (entry.candidate === 0 ? (bits & CUSTOM_BIT) === 0 : (bits & entry.candidate) === 0) continue;
      this.scanning = i;
      entry.scan(text, this.sink);
    }
    if (this.found > 1) this.sort();
    return this.found;
  }

  /** Earliest first; at the same start the longest, then the strongest style. */
  private sort(): void {
    const order = Array.from({ length: this.found }, (_, k) => k);
    order.sort(
      (a, b) =>
        this.starts[a]! - this.starts[b]! ||
        this.ends[b]! - this.ends[a]! ||
        STYLE_STRENGTH[this.entries[this.owners[b]!]!.style] - STYLE_STRENGTH[this.entries[this.owners[a]!]!.style],
    );
    const [starts, ends, owners, canonicals] = [
      order.map((k) => this.starts[k]!),
      order.map((k) => this.ends[k]!),
      order.map((k) => this.owners[k]!),
      order.map((k) => this.canonicals[k]!),
    ];
    for (let k = 0; k < order.length; k++) {
      this.starts[k] = starts[k]!;
      this.ends[k] = ends[k]!;
      this.owners[k] = owners[k]!;
      this.canonicals[k] = canonicals[k]!;
    }
  }
}

/** Set in candidate bits when custom patterns must run. */
const CUSTOM_BIT = 1 << 30;
/** "Unknown yet": compute the bits from the decoded text. */
const ALL_BITS = -1;

/**
 * One entry per built-in detector (on behalf of the rule with the strongest style among those
 * enabling it, which also gets the counts) and one per custom pattern.
 */
export function detectionEntries(rules: readonly CompiledMaskingRule[]): DetectionEntry[] {
  const byDetector = new Map<DetectorName, { rule: number; style: MaskingStyle }>();
  const customs: DetectionEntry[] = [];
  rules.forEach((r, index) => {
    for (const name of r.detectors) {
      const current = byDetector.get(name);
      if (current === undefined || STYLE_STRENGTH[r.style] > STYLE_STRENGTH[current.style]) {
        byDetector.set(name, { rule: index, style: r.style });
      }
    }
    for (const { regex } of r.customPatterns) {
      customs.push({ candidate: 0, scan: customScan(regex), rule: index, style: r.style });
    }
  });
  const builtIns = [...byDetector].map(([name, owner]) => ({
    candidate: DETECTORS[name].candidate,
    scan: DETECTORS[name].scan,
    ...owner,
  }));
  return [...builtIns, ...customs];
}

function customScan(regex: RegExp): (text: string, found: MatchSink) => void {
  return (text, found) => eachMatch(regex, text, (m) => found(m.index, m.index + m[0].length, m[0]));
}
