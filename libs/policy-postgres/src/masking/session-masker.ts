import {
  type ColumnMatcher,
  type CompiledMaskingRule,
  DetectionEngine,
  detectionEntries,
  Hasher,
  STYLE_STRENGTH,
} from '@postern/policy';
import type { CopyMasker, ResultColumn, RowMasker, SessionMasker, StatementMasking } from './contract.js';
import { BinaryCopyMasker } from './copy-binary.js';
import { CsvCopyMasker } from './copy-csv.js';
import type { CopyColumns } from './copy-stream.js';
import { TextCopyMasker } from './copy-text.js';
import { LineageBinder } from './lineage-plan.js';
import { DataRowMasker } from './row-masker.js';
import { classify, FIRST_USER_OID, TypeOid } from './type-oids.js';
import { type ColumnRule, type PlanContext, planValue, type ValuePlan } from './value-plans.js';

export type CopyOptions = Parameters<SessionMasker['planCopy']>[2];

/** The rules that apply to one session, planned per result set. */
export class SessionRules implements SessionMasker {
  readonly needsTables: boolean;
  private readonly ctx: PlanContext;
  private readonly columnRules: readonly { matchers: readonly ColumnMatcher[]; rule: ColumnRule }[];
  private readonly lineage: LineageBinder;

  constructor(
    private readonly rules: readonly CompiledMaskingRule[],
    hashKey: Buffer,
  ) {
    const counts = new Float64Array(rules.length);
    const hasher = new Hasher(hashKey);
    this.ctx = { hasher, counts, engine: new DetectionEngine(detectionEntries(rules), hasher, counts) };
    this.columnRules = rules
      .map((r, index) => ({ matchers: r.columns, rule: { rule: index, style: r.style } }))
      .filter((r) => r.matchers.length > 0);
    this.needsTables = this.columnRules.length > 0;
    const owners = detectionEntries(rules);
    const detectorRule = owners.reduce<number | null>(
      (best, entry) =>
        best === null || STYLE_STRENGTH[rules[entry.rule]!.style] > STYLE_STRENGTH[rules[best]!.style]
          ? entry.rule
          : best,
      null,
    );
    this.lineage = new LineageBinder({
      columnRules: this.columnRules.map(({ matchers, rule }) => ({
        matchers,
        rule: rule.rule,
        name: rules[rule.rule]!.name,
      })),
      detectorRule,
      detectorRuleName: detectorRule === null ? null : rules[detectorRule]!.name,
    });
  }

  planStatement(sql: string): StatementMasking {
    return this.lineage.plan(sql);
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
    const plans = columns.map((c) => planValue(c.typeOid, c.format, this.ruleFor(c), this.ctx));
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
      // Types unknown: as text in text/CSV; in binary, like a value of unknown layout.
      const plan = binary ? planValue(FIRST_USER_OID, 1, null, this.ctx) : planValue(TypeOid.text, 0, null, this.ctx);
      if (plan === null) return { masker: null, refuse: null };
      copyColumns = { plans: [plan], expected: null };
    } else {
      const plans: (ValuePlan | null)[] = columns.map((c) =>
        planValue(c.typeOid, binary ? 1 : 0, this.ruleFor(c), this.ctx),
      );
      if (plans.every((p) => p === null)) return { masker: null, refuse: null };
      copyColumns = { plans, expected: columns.length };
    }
    return copyMaskerFor(copyColumns, format, options);
  }

  /**
   * A column derived from masked columns (lineage) is redacted whole — a plain reference keeps
   * its rule's style; a computed text value reshaped from a table's column is redacted when
   * detectors apply. Otherwise the column rules naming the column decide.
   */
  private ruleFor(column: ResultColumn): ColumnRule | null {
    const derived = column.derived;
    if (derived !== undefined) {
      if (derived.rule !== null) {
        return { rule: derived.rule, style: derived.direct ? this.rules[derived.rule]!.style : 'redact' };
      }
      if (derived.detectorRule !== null && canHoldText(column.typeOid, column.format)) {
        return { rule: derived.detectorRule, style: 'redact' };
      }
    }
    return this.columnRuleFor(column);
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

/** Types whose values can carry readable text (and bytea, which `convert_to` fills with it). */
function canHoldText(typeOid: number, format: 0 | 1): boolean {
  if (typeOid === TypeOid.bytea) return true;
  const kind = classify(typeOid, format);
  return (
    kind === 'text' ||
    kind === 'json' ||
    kind === 'jsonb-binary' ||
    kind === 'text-array' ||
    kind === 'binary-array' ||
    kind === 'opaque'
  );
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
