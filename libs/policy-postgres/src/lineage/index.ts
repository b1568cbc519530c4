export type { ColumnSource, Flow, LineageAnalysis, OutputItem, StatementLineage, ValueLineage } from './facts.js';
export { analyzeLineage } from './analyze.js';
export { LineageCache, sharedLineageCache } from './cache.js';
