/*
 * Binds a SQL string's lineage (lineage/analyze.ts) to one session's masking rules:
 *  - a value derived from a masked column is redacted whole in the result, whatever the
 *    expression (a plain reference keeps the rule's style: PostgreSQL names it itself);
 *  - masked values that would leave any other way (a write, a view or function created for
 *    later, a side-effect function, SQL the analysis cannot see into) refuse the statement;
 *  - with value detectors on, a computed text value reshaped from a table's column (reverse,
 *    encode, split_part…) is redacted whole: a detector can no longer recognise it.
 * Bound plans are cached per analysis object, which the lineage cache shares per statement shape.
 */
import type { ColumnMatcher, ColumnSource } from '@postern/policy';
import { sharedLineageCache, type LineageCache } from '../lineage/cache.js';
import type { LineageAnalysis, OutputItem, StatementLineage, ValueLineage } from '../lineage/facts.js';
import { isSystemRelation } from './system-relations.js';
import type { DerivedMasking, ResultColumn, ResultMasking, StatementMasking } from './contract.js';
import { TypeOid } from './type-oids.js';

export interface LineageRules {
  readonly columnRules: readonly {
    readonly matchers: readonly ColumnMatcher[];
    readonly rule: number;
    readonly name: string;
  }[];
  /** Session index of the rule owning the value detectors (the strongest style), or null. */
  readonly detectorRule: number | null;
  readonly detectorRuleName: string | null;
}

const NOTHING: StatementMasking = Object.freeze({ refuse: null, results: Object.freeze([]) });

export class LineageBinder {
  private readonly bound = new WeakMap<LineageAnalysis, StatementMasking>();

  constructor(
    private readonly rules: LineageRules,
    private readonly cache: LineageCache = sharedLineageCache,
  ) {}

  plan(sql: string): StatementMasking {
    const analysis = this.cache.analyze(sql);
    let plan = this.bound.get(analysis);
    if (plan === undefined) {
      plan = this.bind(analysis);
      this.bound.set(analysis, plan);
    }
    return plan;
  }

  private bind(analysis: LineageAnalysis): StatementMasking {
    if (!analysis.ok) {
      // SQL that does not parse is the server's to reject (with its own syntax error); SQL too
      // complex to follow is refused while a column rule applies.
      if (analysis.parseError || this.rules.columnRules.length === 0) return NOTHING;
      return { refuse: `${this.ruleLabel(this.rules.columnRules[0]!.name)}: ${analysis.message}`, results: [] };
    }
    const results: ResultMasking[] = [];
    for (const statement of analysis.statements) {
      const refusal = this.refusal(statement);
      if (refusal !== null) return { refuse: refusal, results: [] };
      results.push(this.result(statement));
    }
    return { refuse: null, results };
  }

  private refusal(statement: StatementLineage): string | null {
    const first = this.rules.columnRules[0];
    if (statement.opaque.length > 0 && first !== undefined) {
      return (
        `${this.ruleLabel(first.name)} masks columns on this connection, and this statement cannot be followed ` +
        `(${statement.opaque[0]}): Postern cannot tell whether it reads them`
      );
    }
    for (const flow of statement.flows) {
      // A reshaped text value kept for later (a cursor, a prepared statement) would be fetched
      // with no lineage left to tell detectors what it was.
      if (flow.deferred && flow.transformed && this.rules.detectorRule !== null) {
        const source = flow.sources.find((s) => !isSystemRelation(s));
        if (source !== undefined) {
          return (
            `${this.ruleLabel(this.rules.detectorRuleName!)} detects values in results, and ${flow.into} would keep a ` +
            `reshaped value of ${describeSource(source)} that its detectors cannot recognise: select the column itself`
          );
        }
      }
      for (const source of flow.sources) {
        const rule = this.columnRuleFor(source);
        if (rule === null) continue;
        return (
          `${this.ruleLabel(rule.name)} masks ${describeSource(source)}, and this statement would pass its values ` +
          `to ${flow.into}, out of masking's reach`
        );
      }
    }
    return null;
  }

  private result(statement: StatementLineage): ResultMasking {
    // Texts of errors and notices can quote what a statement reads in expressions; with
    // detectors only, what a body (a DO block) reads from tables may be RAISEd reshaped.
    const scrub =
      statement.reads.some((source) => this.columnRuleFor(source) !== null) ||
      (this.rules.detectorRule !== null &&
        statement.flows.some((flow) => flow.into === 'DO block' && flow.sources.some((s) => !isSystemRelation(s))));
    const everything = statement.opaque.length > 0 && this.rules.detectorRule !== null;
    const items = (statement.outputs ?? []).map((item) => ({
      width: item.kind === 'value' ? (1 as const) : null,
      mask: everything ? { rule: null, detectorRule: this.rules.detectorRule, direct: false } : this.maskFor(item),
    }));
    return new LineageResult(items, scrub, statement.outputs === null, statement.copyToClient, statement.copyBinary);
  }

  private maskFor(item: OutputItem): DerivedMasking | null {
    const lineage: ValueLineage = item.lineage;
    let rule: number | null = null;
    for (const source of lineage.sources) {
      const found = this.columnRuleFor(source);
      if (found !== null) {
        rule = found.rule;
        break;
      }
    }
    const detectorRule =
      this.rules.detectorRule !== null && lineage.transformed && lineage.sources.some((s) => !isSystemRelation(s))
        ? this.rules.detectorRule
        : null;
    if (rule === null && detectorRule === null) return null;
    return { rule, detectorRule, direct: item.kind === 'value' && lineage.direct };
  }

  private columnRuleFor(source: ColumnSource): { rule: number; name: string } | null {
    for (const entry of this.rules.columnRules) {
      if (entry.matchers.some((m) => m.mayMatchSource(source))) return entry;
    }
    return null;
  }

  private ruleLabel(name: string): string {
    return `masking rule "${name}"`;
  }
}

class LineageResult implements ResultMasking {
  private readonly masked: boolean;

  constructor(
    private readonly items: readonly { width: 1 | null; mask: DerivedMasking | null }[],
    readonly scrubMessages: boolean,
    private readonly unknown: boolean,
    readonly copyToClient: boolean,
    readonly copyBinary: boolean,
  ) {
    this.masked = items.some((item) => item.mask !== null);
  }

  annotate(columns: readonly ResultColumn[]): readonly ResultColumn[] {
    if (!this.masked) return columns;
    const masks = this.align(columns.length);
    let out: ResultColumn[] | null = null;
    columns.forEach((column, i) => {
      const mask = masks === null ? this.strongest() : masks[i]!;
      // Columns PostgreSQL names itself (a table OID) are masked by their own name.
      if (mask === null || column.table !== null) return;
      out ??= [...columns];
      out[i] = { ...column, derived: mask };
    });
    return out ?? columns;
  }

  copyColumns(): readonly ResultColumn[] | 'none' | 'unknown' {
    if (this.unknown) return 'unknown';
    if (!this.masked) return 'none';
    if (this.items.some((item) => item.width === null)) return 'unknown';
    return this.items.map((item) => ({
      name: '?column?',
      table: null,
      typeOid: TypeOid.text,
      format: 0,
      ...(item.mask === null ? {} : { derived: item.mask }),
    }));
  }

  /** One mask per column, or null when the SQL alone does not say which column is which. */
  private align(width: number): (DerivedMasking | null)[] | null {
    const open = this.items.filter((item) => item.width === null).length;
    const fixed = this.items.length - open;
    if (open === 0 && fixed !== width) return null;
    if (open > 1 || fixed > width) return null;
    const masks: (DerivedMasking | null)[] = [];
    for (const item of this.items) {
      const count = item.width ?? width - fixed;
      for (let i = 0; i < count; i++) masks.push(item.mask);
    }
    return masks;
  }

  private strongest(): DerivedMasking | null {
    let rule: number | null = null;
    let detectorRule: number | null = null;
    for (const { mask } of this.items) {
      rule ??= mask?.rule ?? null;
      detectorRule ??= mask?.detectorRule ?? null;
    }
    return rule === null && detectorRule === null ? null : { rule, detectorRule, direct: false };
  }
}

function describeSource(source: ColumnSource): string {
  const table = source.schema === null ? source.relation : `${source.schema}.${source.relation}`;
  return source.column === null ? `columns of ${table}` : `${table}.${source.column}`;
}
