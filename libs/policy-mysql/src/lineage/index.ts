export type { ColumnSource, LineageAnalysis, OutputItem, StatementLineage, ValueLineage } from './facts.js';
export { analyzeLineage } from './analyze.js';
