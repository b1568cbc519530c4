/*
 * Lineage per SQL text, cached like the statement analysis: by exact text, and by literal shape
 * (integer constants never change where a value comes from, so every text of a shape shares one
 * analysis — `SELECT … WHERE id = 17` and `… = 42` cost one parse).
 */
import { sqlParserReady } from '../sql/parser.js';
import { literalShape } from '../sql/shape.js';
import { analyzeLineage } from './analyze.js';
import type { LineageAnalysis } from './facts.js';

const MAX_ENTRIES = 2048;
const MAX_ENTRY_LENGTH = 64 * 1024;

export class LineageCache {
  private readonly entries = new Map<string, LineageAnalysis>();

  constructor(private readonly maxEntries = MAX_ENTRIES) {}

  analyze(sql: string): LineageAnalysis {
    const key = literalShape(sql) ?? sql;
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const analysis = analyzeLineage(sql);
    if (!sqlParserReady() || key.length > MAX_ENTRY_LENGTH || this.maxEntries === 0) return analysis;
    this.entries.set(key, analysis);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return analysis;
  }
}

export const sharedLineageCache = new LineageCache();
