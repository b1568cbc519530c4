export type { ColumnSource, LineageAnalysis, OutputItem, StatementLineage, ValueLineage } from './facts.js';
export { analyzeLineage } from './analyze.js';
export {
  columnActions,
  type ColumnAction,
  type LineageColumnRule,
  type LineagePlan,
  planLineage,
  type PlannedItem,
} from './plan.js';
