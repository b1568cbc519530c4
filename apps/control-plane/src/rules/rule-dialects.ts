import {
  compileCommandPolicy,
  parseCommandMatch,
  type ApprovalRuleInput,
  type CommandAnalyser,
  type CommandDialect,
  type StatementMatch,
  type StatementPolicy,
  type StatementRuleInput,
} from '@postern/policy';
import {
  AnalysisCache as MysqlAnalysisCache,
  initSqlParser as initMysqlParser,
  MYSQL_DIALECT,
  mysqlAnalyser,
} from '@postern/policy-mysql';
import { KUBERNETES_DIALECT, kubernetesAnalyser } from '@postern/policy-kubernetes';
import { AnalysisCache, initSqlParser, POSTGRES_DIALECT, postgresAnalyser } from '@postern/policy-postgres';
import { HTTP_DIALECT, httpAnalyser } from '@postern/policy-http';
import { initShellParser, ShellAnalysisCache, shellAnalyser, SSH_DIALECT } from '@postern/policy-ssh';
import { InvalidArgumentError } from '../platform/errors/domain-error.js';

/**
 * A protocol whose command rules this control plane validates and simulates: a rule's `dialect`
 * names one, and only that protocol's analyser reads the rule (a MySQL rule is never checked by
 * PostgreSQL's parser). A new protocol adds one entry to RULE_DIALECTS.
 */
export interface RuleDialect {
  /** The value of a rule's `dialect` field, e.g. "postgres". */
  readonly name: string;
  /** Its statement kinds and name syntax: enough to validate a rule without parsing anything. */
  readonly commands: CommandDialect;
  /** Loads what the analyser needs (PostgreSQL: libpg-query's WebAssembly) before it analyses. */
  ready(): Promise<void>;
  /** An analyser with its own parse cache of `cacheEntries` distinct strings. */
  analyser(cacheEntries: number): CommandAnalyser;
}

export const RULE_DIALECTS: readonly RuleDialect[] = [
  {
    name: POSTGRES_DIALECT.name,
    commands: POSTGRES_DIALECT,
    ready: initSqlParser,
    analyser: (cacheEntries) => postgresAnalyser(new AnalysisCache({ maxEntries: cacheEntries })),
  },
  {
    name: MYSQL_DIALECT.name,
    commands: MYSQL_DIALECT,
    ready: initMysqlParser,
    analyser: (cacheEntries) => mysqlAnalyser(new MysqlAnalysisCache({ maxEntries: cacheEntries })),
  },
  {
    name: SSH_DIALECT.name,
    commands: SSH_DIALECT,
    ready: initShellParser,
    analyser: (cacheEntries) => shellAnalyser(new ShellAnalysisCache({ maxEntries: cacheEntries })),
  },
  {
    name: KUBERNETES_DIALECT.name,
    commands: KUBERNETES_DIALECT,
    ready: () => Promise.resolve(),
    // Request lines are read without a parser: nothing worth caching.
    analyser: () => kubernetesAnalyser(),
  },
  {
    name: HTTP_DIALECT.name,
    commands: HTTP_DIALECT,
    // Requests are analysed from their text alone: nothing to load, nothing worth caching.
    ready: async () => undefined,
    analyser: () => httpAnalyser(),
  },
];

/** What rules written before dialects existed (and rules that name none) are. */
export const DEFAULT_RULE_DIALECT = 'postgres';

/** The dialect a rule names (absent: DEFAULT_RULE_DIALECT); refuses one no analyser is registered for. */
export function ruleDialect(name: string | null | undefined): RuleDialect {
  const wanted = name ?? DEFAULT_RULE_DIALECT;
  const dialect = RULE_DIALECTS.find((d) => d.name === wanted);
  if (!dialect) {
    const known = RULE_DIALECTS.map((d) => d.name).join(', ');
    throw new InvalidArgumentError(`dialect: "${wanted.slice(0, 40)}" is not a rule dialect (known: ${known})`);
  }
  return dialect;
}

/** Validates a statement match with the dialect's own kinds and name syntax. */
export function parseDialectMatch(dialect: RuleDialect, spec: unknown, path = ''): StatementMatch {
  return parseCommandMatch(dialect.commands, spec, path);
}

/** Compiles statement rules of one dialect against its analyser (simulation). */
export function compileDialectPolicy(
  dialect: RuleDialect,
  guardrails: StatementRuleInput[],
  approvals: ApprovalRuleInput[],
  cacheEntries: number,
): StatementPolicy {
  return compileCommandPolicy(dialect.analyser(cacheEntries), guardrails, approvals);
}
