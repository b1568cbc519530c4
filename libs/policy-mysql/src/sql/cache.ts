/*
 * Parse cache: SQL text → analysis, like PostgreSQL's. The analysis does not depend on any rule,
 * so one cache serves every session and survives policy recompiles; ORMs and prepared statements
 * repeat the same strings, which then cost one Map lookup instead of a parse (~100–400 µs for
 * sqlparser-rs, see README). Bounded by entries and total length; long texts are not kept.
 * One cache per lexing mode: a session with sql_mode ANSI_QUOTES/NO_BACKSLASH_ESCAPES reads the
 * same text differently.
 */
import { analyzeMysqlText, DEFAULT_ANALYSIS_LIMITS, type AnalysisLimits } from './analyze.js';
import type { MysqlAnalysis } from './facts.js';
import type { LexOptions } from './lexer.js';
import { sqlParserReady } from './parser.js';
import { forText, literalShape, shapeable } from './shape.js';

export interface AnalysisCacheOptions {
  /** Distinct SQL strings kept. Default 4096; 0 disables caching. */
  maxEntries?: number;
  /** Total characters of SQL kept. Default 16 Mi. */
  maxTotalLength?: number;
  /** Longer strings are not kept. Default 64 Ki characters. */
  maxEntryLength?: number;
  limits?: AnalysisLimits;
  /** How the session's sql_mode makes the server read quotes and backslashes. */
  sqlMode?: LexOptions;
}

/** Literal shapes kept (each at most 8 Ki characters). */
const SHAPE_ENTRIES = 1024;

export class AnalysisCache {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly entries = new Map<string, MysqlAnalysis>();
  /** Literal shape → analysis, for analyses that hold for the whole shape (also LRU). */
  private readonly shapes = new Map<string, MysqlAnalysis>();
  private totalLength = 0;
  private readonly maxEntries: number;
  private readonly maxTotalLength: number;
  private readonly maxEntryLength: number;
  private readonly limits: AnalysisLimits;
  private readonly sqlMode: LexOptions;

  constructor(options: AnalysisCacheOptions = {}) {
    this.maxEntries = Math.max(0, Math.floor(options.maxEntries ?? 4096));
    this.maxTotalLength = options.maxTotalLength ?? 16 * 1024 * 1024;
    this.maxEntryLength = options.maxEntryLength ?? 64 * 1024;
    this.limits = options.limits ?? DEFAULT_ANALYSIS_LIMITS;
    this.sqlMode = options.sqlMode ?? {};
  }

  get size(): number {
    return this.entries.size;
  }

  /** The analysis of `sql`, from the cache when it was seen recently. Never throws. */
  analyze(sql: string): MysqlAnalysis {
    const cached = this.entries.get(sql);
    if (cached !== undefined) {
      this.entries.delete(sql);
      this.entries.set(sql, cached);
      return cached;
    }
    const shape = this.maxEntries === 0 ? null : literalShape(sql, this.sqlMode);
    if (shape !== null) {
      const shared = this.shapes.get(shape.key);
      if (shared !== undefined) {
        this.shapes.delete(shape.key);
        this.shapes.set(shape.key, shared);
        const own = forText(shared, shape);
        this.remember(sql, own);
        return own;
      }
    }
    const analysis = analyzeMysqlText(sql, this.sqlMode, this.limits);
    // Before initSqlParser() resolves every statement is unparsable: never remember that.
    if (!sqlParserReady()) return analysis;
    if (shape !== null && shapeable(analysis)) {
      this.shapes.set(shape.key, analysis);
      if (this.shapes.size > SHAPE_ENTRIES) this.shapes.delete(this.shapes.keys().next().value as string);
    }
    // Exact texts are kept too: a repeated text then costs a lookup, not a lexing.
    this.remember(sql, analysis);
    return analysis;
  }

  clear(): void {
    this.entries.clear();
    this.shapes.clear();
    this.totalLength = 0;
  }

  private remember(sql: string, analysis: MysqlAnalysis): void {
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

/** The process-wide cache used by default by policies and by analyzeSql. */
export const sharedAnalysisCache = new AnalysisCache();

/** Facts about a MySQL/MariaDB text (cached). Never throws; `ok: false` when it cannot be checked. */
export function analyzeSql(sql: string): MysqlAnalysis {
  return sharedAnalysisCache.analyze(sql);
}
