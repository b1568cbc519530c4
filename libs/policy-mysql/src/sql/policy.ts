/*
 * MySQL statement rules: libs/policy's match language compiled against the MySQL dialect, facts
 * from the token pre-pass and sqlparser-rs through the parse cache.
 *
 * A statement the SQL parser could not read (`unparsable`) is refused unless a rule decided
 * it (a guardrail blocks it, an approval rule holds it, e.g. `{ flags: ["unparsable"] }`) or the
 * policy was compiled with `unparsable: 'forward'`: the gateway never lets through silently what
 * it could not check.
 */
import {
  compileCommandPolicy,
  parseCommandMatch,
  type ApprovalRuleInput,
  type CommandAnalyser,
  type SessionStatementPolicy,
  type StatementDecision,
  type StatementMatch,
  type StatementPolicy,
  type StatementRuleInput,
} from '@postern/policy';
import { AnalysisCache, sharedAnalysisCache } from './cache.js';
import { MYSQL_DIALECT, mysqlAnalyser } from './dialect.js';
import type { MysqlAnalysis, StatementFacts } from './facts.js';

export interface StatementPolicyOptions {
  /**
   * What a statement the SQL parser could not read gets when no rule blocked or held it.
   * Default "block" (refused as invalid, naming the parser's message).
   */
  unparsable?: 'block' | 'forward';
  /** Parse cache entries; default: the process-wide cache shared by every policy. */
  cacheSize?: number;
  /** An explicit cache (e.g. one per sql_mode); wins over cacheSize. */
  cache?: AnalysisCache;
}

/** Throws PolicySpecError (path like "guardrails[2].match.relations[0]") on an invalid rule. */
export function compileStatementPolicy(
  guardrails: StatementRuleInput[],
  approvals: ApprovalRuleInput[],
  options: StatementPolicyOptions = {},
): StatementPolicy {
  const cache =
    options.cache ??
    (options.cacheSize === undefined ? sharedAnalysisCache : new AnalysisCache({ maxEntries: options.cacheSize }));
  if (options.unparsable === 'forward') {
    return compileCommandPolicy(mysqlAnalyser(cache), guardrails, approvals, { unparseable: 'block' });
  }
  // The analysis the rules were just matched against, for the unparsable check that follows.
  let last: { sql: string; analysis: MysqlAnalysis } | null = null;
  const analyser: CommandAnalyser<StatementFacts> = {
    dialect: MYSQL_DIALECT,
    analyze(sql) {
      const analysis = cache.analyze(sql);
      last = { sql, analysis };
      return analysis;
    },
  };
  const inner = compileCommandPolicy(analyser, guardrails, approvals, { unparseable: 'block' });
  const analysed = (sql: string): MysqlAnalysis => (last?.sql === sql ? last.analysis : cache.analyze(sql));
  return {
    forSession(connectionId, groups) {
      return refuseUnparsable(inner.forSession(connectionId, groups), analysed);
    },
  };
}

function refuseUnparsable(
  session: SessionStatementPolicy,
  analysed: (sql: string) => MysqlAnalysis,
): SessionStatementPolicy {
  return {
    empty: session.empty,
    evaluate(sql: string): StatementDecision {
      const decision = session.evaluate(sql);
      if (decision.action !== 'allow' || session.empty) return decision;
      const analysis = analysed(sql);
      if (!analysis.ok) return decision;
      const unread = analysis.all.find((statement) => statement.flags.includes('unparsable'));
      if (!unread) return decision;
      return {
        action: 'invalid',
        message: `the gateway could not check this statement (${unread.kinds[0] ?? 'UNKNOWN'}): ${unread.parserMessage ?? 'unparsable'}`,
        position: unread.via === null ? unread.start : null,
      };
    },
  };
}

/**
 * Validates a rule body from the API or the wire as MySQL rules read it. Throws PolicySpecError
 * naming the field (prefixed with `path`); kinds come back canonical.
 */
export function parseStatementMatch(spec: unknown, path = ''): StatementMatch {
  return parseCommandMatch(MYSQL_DIALECT, spec, path);
}
