/*
 * Parse cache: SQL text → analysis. The analysis does not depend on any rule, so one cache serves
 * every session and survives policy recompiles; ORMs and prepared statements repeat the same
 * strings, which then cost one Map lookup instead of a parse.
 * Bounded by entries and by the total length of the cached SQL; very long strings (bulk
 * INSERTs) are analysed but not kept. Plain SELECTs that differ only in integer constants share
 * one analysis through their literal shape (see shape.ts for why that is safe).
 */
import { analyzeSqlText, DEFAULT_ANALYSIS_LIMITS, type AnalysisLimits } from './analyze.js';
import type { CopyInfo, SqlAnalysis } from './facts.js';
import { sqlParserReady } from './parser.js';
import { literalShape, shapeable } from './shape.js';

export interface AnalysisCacheOptions {
  /** Distinct SQL strings kept. Default 4096; 0 disables caching. */
  maxEntries?: number;
  /** Total characters of SQL kept. Default 16 Mi. */
  maxTotalLength?: number;
  /** Longer strings are not kept. Default 64 Ki characters. */
  maxEntryLength?: number;
  limits?: AnalysisLimits;
}

export const DEFAULT_CACHE_ENTRIES = 4096;
/** Literal shapes kept (each at most 8 Ki characters). */
const SHAPE_ENTRIES = 1024;

export class AnalysisCache {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly entries = new Map<string, SqlAnalysis>();
  /** Literal shape → analysis, for analyses that hold for the whole shape (also LRU). */
  private readonly shapes = new Map<string, SqlAnalysis>();
  private totalLength = 0;
  private readonly maxEntries: number;
  private readonly maxTotalLength: number;
  private readonly maxEntryLength: number;
  private readonly limits: AnalysisLimits;

  constructor(options: AnalysisCacheOptions = {}) {
    this.maxEntries = Math.max(0, Math.floor(options.maxEntries ?? DEFAULT_CACHE_ENTRIES));
    this.maxTotalLength = options.maxTotalLength ?? 16 * 1024 * 1024;
    this.maxEntryLength = options.maxEntryLength ?? 64 * 1024;
    this.limits = options.limits ?? DEFAULT_ANALYSIS_LIMITS;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The analysis of `sql`, from the cache when it was seen recently. Never throws. */
  analyze(sql: string): SqlAnalysis {
    const cached = this.entries.get(sql);
    if (cached !== undefined) {
      this.entries.delete(sql);
      this.entries.set(sql, cached);
      return cached;
    }
    const shape = this.maxEntries === 0 ? null : literalShape(sql);
    if (shape !== null) {
      const shared = this.shapes.get(shape);
      if (shared !== undefined) {
        this.shapes.delete(shape);
        this.shapes.set(shape, shared);
        return shared;
      }
    }
    const analysis = analyzeSqlText(sql, this.limits);
    // Before initSqlParser() resolves every string "fails": never remember that.
    if (!sqlParserReady()) return analysis;
    if (shape !== null && shapeable(analysis)) {
      // Kept by shape only: the literal values would just churn the exact entries.
      this.shapes.set(shape, analysis);
      if (this.shapes.size > SHAPE_ENTRIES) this.shapes.delete(this.shapes.keys().next().value as string);
      return analysis;
    }
    this.remember(sql, analysis);
    return analysis;
  }

  clear(): void {
    this.entries.clear();
    this.shapes.clear();
    this.totalLength = 0;
  }

  private remember(sql: string, analysis: SqlAnalysis): void {
    if (typeof sql !== 'string' || sql.length > this.maxEntryLength || this.maxEntries === 0) return;
    this.entries.set(sql, analysis);
    this.totalLength += sql.length;
    while (this.entries.size > this.maxEntries || this.totalLength > this.maxTotalLength) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.totalLength -= oldest.length;
    }
  }
}

/** The process-wide cache used by default by policies and by analyzeSql/analyzeCopy. */
export const sharedAnalysisCache = new AnalysisCache();

/** Facts about a SQL string (cached). Never throws; `ok: false` when it does not parse. */
export function analyzeSql(sql: string): SqlAnalysis {
  return sharedAnalysisCache.analyze(sql);
}

/** COPY details when `sql` is a single COPY statement, else null (cached). */
export function analyzeCopy(sql: string): CopyInfo | null {
  const analysis = analyzeSql(sql);
  if (!analysis.ok || analysis.statements.length !== 1) return null;
  return analysis.statements[0]?.copy ?? null;
}
