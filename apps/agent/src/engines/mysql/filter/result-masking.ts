import {
  analyzeLineage,
  analyzeSql,
  columnActions,
  planLineage,
  type ColumnAction,
  type LineagePlan,
} from '@postern/policy-mysql';
import type { ColumnDefinition } from '@postern/wire-mysql';
import { lineageOf, UNKNOWN_LINEAGE, type MysqlSessionMasker, type StatementLineage } from '../masking.js';
import type { MysqlContext } from '../rules.js';
import { RowMasker } from './row-masker.js';

/** Statement texts whose analyses a session keeps (prepared statements run again and again). */
const CACHE_ENTRIES = 1024;
const NOTHING_TO_PLAN: LineagePlan = { refuse: null, statements: [] };

interface Analysed {
  /** policy-mysql's lineage bound to the session's column rules. */
  plan: LineagePlan;
  /** The name heuristic, for results the lineage cannot place (CALL, SHOW, a misaligned multi-result). */
  names: StatementLineage;
}

/**
 * The masking stage: before a statement goes to the target, whether masking can follow it
 * (policy-mysql's lineage planner refuses, say, `*` over a derived table while a column rule
 * applies); for each result set, a RowMasker from its column definitions and the statement's
 * lineage. Analyses are kept per text for the session's current masker.
 */
export class ResultMasking {
  /** Every masker that planned a result in this session (for the summary's counts). */
  readonly maskers = new Set<MysqlSessionMasker>();
  private readonly analysed = new Map<string, Analysed>();
  private analysedFor: MysqlSessionMasker | null = null;

  constructor(private readonly context: MysqlContext) {}

  /** Why masking cannot follow `sql` (then it is refused), or null. */
  refusal(sql: string): string | null {
    const masker = this.context.policy().masker;
    if (masker === null) return null;
    return this.analyse(masker, sql).plan.refuse;
  }

  /** The masker of a result set (the `index`-th result of `sql`), or null when nothing in it is masked. */
  rowMasker(
    sql: string | null,
    index: number,
    columns: readonly ColumnDefinition[],
    binary: boolean,
  ): RowMasker | null {
    const masker = this.context.policy().masker;
    if (masker === null) return null;
    this.maskers.add(masker);
    let names = UNKNOWN_LINEAGE;
    let actions: ColumnAction[] | undefined;
    if (sql !== null) {
      const analysed = this.analyse(masker, sql);
      names = analysed.names;
      const { plan } = analysed;
      const items = plan.refuse === null ? plan.statements[index] : undefined;
      if (items !== undefined && items !== null) {
        // Items that cannot be placed over the columns (two `*` around a redaction): redact all.
        actions = columnActions(items, columns.length) ?? columns.map(() => 'redact');
      }
    }
    const plan = masker.plan(columns, names, actions);
    return plan === null ? null : new RowMasker(masker, plan, binary);
  }

  private analyse(masker: MysqlSessionMasker, sql: string): Analysed {
    if (this.analysedFor !== masker) {
      this.analysed.clear();
      this.analysedFor = masker;
    }
    let analysed = this.analysed.get(sql);
    if (analysed === undefined) {
      const detectors = masker.detection.active;
      // Without column rules or detectors there is nothing for lineage to decide: no parse.
      const plan =
        masker.lineageRules.length === 0 && !detectors
          ? NOTHING_TO_PLAN
          : planLineage(analyzeLineage(sql), masker.lineageRules, { detectors });
      const facts = analyzeSql(sql);
      const names = facts.ok
        ? lineageOf(
            sql,
            facts.all.flatMap((statement) => statement.relations),
          )
        : UNKNOWN_LINEAGE;
      analysed = { plan, names };
      if (this.analysed.size >= CACHE_ENTRIES) this.analysed.clear();
      this.analysed.set(sql, analysed);
    }
    return analysed;
  }
}
