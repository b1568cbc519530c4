/*
 * Binds a text's lineage to one session's column masking rules, for the MySQL engine:
 *  - every column is still masked by its metadata (org_table/org_name) by the engine: `keep`;
 *  - a value the metadata does not name (an expression, a scalar subquery, a column through a
 *    derived table, a CTE or a UNION) but that derives from a masked column is redacted whole;
 *  - with value detectors on, a computed value reshaped from a table column (REVERSE, HEX,
 *    SUBSTRING…) is redacted whole too: a detector can no longer recognise it;
 *  - `*` whose columns cannot be tied to their tables (through a derived table…) while a rule may
 *    match one of them, SQL that cannot be followed while a column rule applies: refused.
 */
import type { ColumnMatcher, ColumnSource } from '@postern/policy';
import type { LineageAnalysis, OutputItem, ValueLineage } from './facts.js';

export interface LineageColumnRule {
  /** For refusal messages. */
  readonly name: string;
  /** The rule's column patterns (libs/policy `compileColumnPattern`). */
  readonly matchers: readonly ColumnMatcher[];
}

export type ColumnAction = 'keep' | 'redact';

export interface PlannedItem {
  readonly action: ColumnAction;
  /** 1 for a value, `any` for `*`/`t.*` (its width is the result's). */
  readonly width: 1 | 'any';
}

export type LineagePlan =
  | { readonly refuse: string }
  /** Per statement, its result's items; null for a statement without a result. */
  | { readonly refuse: null; readonly statements: readonly (readonly PlannedItem[] | null)[] };

const NOTHING: LineagePlan = Object.freeze({ refuse: null, statements: Object.freeze([]) });

export function planLineage(
  analysis: LineageAnalysis,
  rules: readonly LineageColumnRule[],
  options: { readonly detectors?: boolean } = {},
): LineagePlan {
  const detectors = options.detectors === true;
  const first = rules[0];
  if (first === undefined && !detectors) return NOTHING;
  const label = first ? `masking rule "${first.name}" applies` : 'value detectors apply';
  if (!analysis.ok) return { refuse: `${label}, and this statement cannot be followed: ${analysis.message}` };
  const ruleFor = (sources: readonly ColumnSource[]) =>
    rules.find((rule) => rule.matchers.some((matcher) => sources.some((source) => matcher.mayMatchSource(source))));
  const statements: (PlannedItem[] | null)[] = [];
  for (const statement of analysis.statements) {
    if (statement.outputs === null) {
      statements.push(null);
      continue;
    }
    if (statement.opaque.length > 0 && first) {
      return { refuse: `${label}, and this statement cannot be followed (${statement.opaque[0]})` };
    }
    const items: PlannedItem[] = [];
    for (const item of statement.outputs) {
      const rule = ruleFor(item.lineage.sources);
      if (item.kind === 'columns') {
        if (!item.named && rule) {
          return {
            refuse: `masking rule "${rule.name}" applies, and the columns of ${describe(item)} cannot be told apart`,
          };
        }
        items.push({ action: 'keep', width: 'any' });
        continue;
      }
      const redact = !item.named && (rule !== undefined || (detectors && reshapedFromTable(item.lineage)));
      items.push({ action: redact ? 'redact' : 'keep', width: 1 });
    }
    statements.push(items);
  }
  return { refuse: null, statements };
}

function reshapedFromTable(lineage: ValueLineage): boolean {
  return lineage.transformed && lineage.sources.length > 0;
}

function describe(item: OutputItem): string {
  const [source] = item.lineage.sources;
  if (!source) return '`*`';
  return `\`*\` over ${source.schema ? `${source.schema}.` : ''}${source.relation}`;
}

/**
 * One action per result column, given the column count of the result's metadata; null when
 * redacted values cannot be placed (two `*` of unknown width around them): refuse the result.
 */
export function columnActions(items: readonly PlannedItem[], columnCount: number): ColumnAction[] | null {
  const wide = items.flatMap((item, index) => (item.width === 'any' ? [index] : []));
  const fixed = items.length - wide.length;
  if (wide.length === 0) return fixed === columnCount ? items.map((item) => item.action) : null;
  const spare = columnCount - fixed;
  if (spare < 0) return null;
  const firstWide = wide[0] as number;
  const lastWide = wide[wide.length - 1] as number;
  const between = items.slice(firstWide, lastWide + 1);
  if (wide.length > 1 && between.some((item) => item.action === 'redact')) return null;
  const actions: ColumnAction[] = items.slice(0, firstWide).map((item) => item.action);
  // Everything from the first to the last `*` is kept (metadata masking still applies).
  for (let index = 0; index < spare + (lastWide - firstWide + 1 - wide.length); index += 1) actions.push('keep');
  actions.push(...items.slice(lastWide + 1).map((item) => item.action));
  return actions;
}
