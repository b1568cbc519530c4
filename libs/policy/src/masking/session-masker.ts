import type { CopyMasker, DetectorName, MaskingStyle, ResultColumn, RowMasker, SessionMasker } from './contract.js';
import type { ColumnMatcher } from './column-patterns.js';
import { BinaryCopyMasker } from './copy-binary.js';
import { CsvCopyMasker } from './copy-csv.js';
import type { CopyColumns } from './copy-stream.js';
import { TextCopyMasker } from './copy-text.js';
import { DetectionEngine, type DetectionEntry } from './detection.js';
import { DETECTORS, type MatchSink } from './detectors/index.js';
import { eachMatch } from './detectors/detector.js';
import { DataRowMasker } from './row-masker.js';
import { Hasher, STYLE_STRENGTH } from './styles.js';
import { FIRST_USER_OID, TypeOid } from './type-oids.js';
import { type ColumnRule, type PlanContext, planValue, type ValuePlan } from './value-plans.js';

/** A rule as compiled once per policy: patterns and regexes ready, spec validated. */
export interface CompiledRule {
  id: string;
  name: string;
  connectionIds: readonly string[];
  exemptGroups: readonly string[];
  style: MaskingStyle;
  columns: readonly ColumnMatcher[];
  detectors: readonly DetectorName[];
  customPatterns: readonly { name: string; regex: RegExp }[];
}

export type CopyOptions = Parameters<SessionMasker['planCopy']>[2];

/** The rules that apply to one session, planned per result set. */
export class SessionRules implements SessionMasker {
  readonly needsTables: boolean;
  private readonly ctx: PlanContext;
  private readonly columnRules: readonly { matchers: readonly ColumnMatcher[]; rule: ColumnRule }[];

  constructor(
    private readonly rules: readonly CompiledRule[],
    hashKey: Buffer,
  ) {
    const counts = new Float64Array(rules.length);
    const hasher = new Hasher(hashKey);
    this.ctx = { hasher, counts, engine: new DetectionEngine(detectionEntries(rules), hasher, counts) };
    this.columnRules = rules
      .map((r, index) => ({ matchers: r.columns, rule: { rule: index, style: r.style } }))
      .filter((r) => r.matchers.length > 0);
    this.needsTables = this.columnRules.length > 0;
  }

  get counts(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    this.ctx.counts.forEach((count, index) => {
      if (count > 0) out.set(this.rules[index]!.id, count);
    });
    return out;
  }

  maskText(text: string): string {
    return this.ctx.engine.active ? (this.ctx.engine.rewrite(text, undefined, false) ?? text) : text;
  }

  planRows(columns: readonly ResultColumn[]): RowMasker | null {
    const plans = columns.map((c) => planValue(c.typeOid, c.format, this.columnRuleFor(c), this.ctx));
    return plans.every((p) => p === null) ? null : new DataRowMasker(plans);
  }

  planCopy(
    columns: readonly ResultColumn[] | null,
    format: 'text' | 'csv' | 'binary',
    options: CopyOptions,
  ): { masker: CopyMasker | null; refuse: string | null } {
    const binary = format === 'binary';
    let copyColumns: CopyColumns;
    if (columns === null) {
      const byColumn = this.columnRules[0];
      if (byColumn !== undefined) {
        const name = this.rules[byColumn.rule.rule]!.name;
        return {
          masker: null,
          refuse: `masking rule "${name}" masks columns by name, and COPY of a query does not say which columns it returns`,
        };
      }
      // Types unknown: as text in text/CSV; in binary, like a value of unknown layout.
      const plan = binary ? planValue(FIRST_USER_OID, 1, null, this.ctx) : planValue(TypeOid.text, 0, null, this.ctx);
      if (plan === null) return { masker: null, refuse: null };
      copyColumns = { plans: [plan], expected: null };
    } else {
      const plans: (ValuePlan | null)[] = columns.map((c) =>
        planValue(c.typeOid, binary ? 1 : 0, this.columnRuleFor(c), this.ctx),
      );
      if (plans.every((p) => p === null)) return { masker: null, refuse: null };
      copyColumns = { plans, expected: columns.length };
    }
    return copyMaskerFor(copyColumns, format, options);
  }

  /** The strongest style among the column rules naming this column (redact > hash > partial). */
  private columnRuleFor(column: ResultColumn): ColumnRule | null {
    let best: ColumnRule | null = null;
    for (const { matchers, rule } of this.columnRules) {
      if (best !== null && STYLE_STRENGTH[rule.style] <= STYLE_STRENGTH[best.style]) continue;
      if (matchers.some((m) => m.matches(column))) best = rule;
    }
    return best;
  }
}

function copyMaskerFor(
  columns: CopyColumns,
  format: 'text' | 'csv' | 'binary',
  options: CopyOptions,
): { masker: CopyMasker | null; refuse: string | null } {
  if (format === 'binary') return { masker: new BinaryCopyMasker(columns), refuse: null };
  const csv = format === 'csv';
  const delimiter = singleByte(options.delimiter ?? (csv ? ',' : '\t'));
  const quote = singleByte(options.quote ?? '"');
  const escape = singleByte(options.escape ?? options.quote ?? '"');
  if (delimiter === null || (csv && (quote === null || escape === null))) {
    return {
      masker: null,
      refuse: 'COPY with a delimiter, quote or escape that is not one ASCII character cannot be masked',
    };
  }
  const nullMarker = Buffer.from(options.null ?? (csv ? '' : '\\N'));
  const header = options.header === true;
  const masker = csv
    ? new CsvCopyMasker(columns, delimiter, quote!, escape!, nullMarker, header)
    : new TextCopyMasker(columns, delimiter, nullMarker, header);
  return { masker, refuse: null };
}

function singleByte(value: string): number | null {
  return value.length === 1 && value.charCodeAt(0) < 0x80 ? value.charCodeAt(0) : null;
}

/**
 * One entry per built-in detector (on behalf of the rule with the strongest style among those
 * enabling it, which also gets the counts) and one per custom pattern.
 */
function detectionEntries(rules: readonly CompiledRule[]): DetectionEntry[] {
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
