/*
 * Compiled statement rules. Rules are validated and their patterns compiled once per policy;
 * `forSession` keeps the rules that apply to one principal on one connection; `evaluate` asks
 * the dialect's analyser for the (cached) facts and tests them against each rule.
 */
import type {
  ApprovalRuleInput,
  CommandAnalyser,
  CommandDialect,
  CommandFacts,
  SessionStatementPolicy,
  StatementDecision,
  StatementPolicy,
  StatementRuleInput,
} from './contract.js';
import { parseCommandMatch, StatementMatcher } from './match.js';
import { describeMatch } from './reason.js';

interface CompiledRule<R extends StatementRuleInput> {
  readonly rule: R;
  readonly matcher: StatementMatcher;
}

const ALLOW: StatementDecision = Object.freeze({ action: 'allow' });

function compileRule<R extends StatementRuleInput>(dialect: CommandDialect, rule: R, path: string): CompiledRule<R> {
  // The caller gets its own rule object back in decisions; the matcher keeps the canonical match.
  return { rule, matcher: new StatementMatcher(parseCommandMatch(dialect, rule.match, `${path}.match`), dialect) };
}

export interface CommandPolicyOptions {
  /** What an unparseable string gets. Default "block" (fail closed). */
  unparseable?: 'block' | 'forward';
}

function appliesTo(rule: StatementRuleInput, connectionId: string, groups: ReadonlySet<string>): boolean {
  const onConnection = rule.connectionIds.length === 0 || rule.connectionIds.includes(connectionId);
  const toPrincipal = rule.groups.length === 0 || rule.groups.some((group) => groups.has(group));
  return onConnection && toPrincipal;
}

/** Throws PolicySpecError (path like "guardrails[2].match.relations[0]") on an invalid rule. */
export function compileCommandPolicy(
  analyser: CommandAnalyser,
  guardrails: StatementRuleInput[],
  approvals: ApprovalRuleInput[],
  options: CommandPolicyOptions = {},
): StatementPolicy {
  const { dialect } = analyser;
  const blocks = guardrails.map((rule, index) => compileRule(dialect, rule, `guardrails[${index}]`));
  const holds = approvals.map((rule, index) => compileRule(dialect, rule, `approvals[${index}]`));
  const forwardUnparseable = options.unparseable === 'forward';
  return {
    forSession(connectionId, groups) {
      const groupSet = new Set(groups);
      return new SessionRules(
        blocks.filter(({ rule }) => appliesTo(rule, connectionId, groupSet)),
        holds.filter(({ rule }) => appliesTo(rule, connectionId, groupSet)),
        analyser,
        forwardUnparseable,
      );
    },
  };
}

class SessionRules implements SessionStatementPolicy {
  readonly empty: boolean;

  constructor(
    private readonly blocks: readonly CompiledRule<StatementRuleInput>[],
    private readonly holds: readonly CompiledRule<ApprovalRuleInput>[],
    private readonly analyser: CommandAnalyser,
    private readonly forwardUnparseable: boolean,
  ) {
    this.empty = blocks.length === 0 && holds.length === 0;
  }

  evaluate(sql: string): StatementDecision {
    if (this.empty) return ALLOW;
    const analysis = this.analyser.analyze(sql);
    if (!analysis.ok) {
      // What cannot be checked is never forwarded: it may be valid SQL we could not inspect.
      if (this.forwardUnparseable && !analysis.uncheckable) return ALLOW;
      return { action: 'invalid', message: analysis.message, position: analysis.position };
    }
    const { dialect } = this.analyser;
    const block = firstMatching(dialect, this.blocks, analysis.all);
    if (block) {
      const { id, name } = block.rule.rule;
      return { action: 'block', rule: { id, name }, reason: block.reason };
    }
    const hold = firstMatching(dialect, this.holds, analysis.all);
    return hold ? { action: 'hold', rule: hold.rule.rule, reason: hold.reason } : ALLOW;
  }
}

/** Blocks win over holds, so each kind of rule is searched over every statement in turn. */
function firstMatching<R extends StatementRuleInput>(
  dialect: CommandDialect,
  rules: readonly CompiledRule<R>[],
  statements: readonly CommandFacts[],
): { rule: CompiledRule<R>; reason: string } | null {
  if (rules.length === 0) return null;
  for (const statement of statements) {
    for (const rule of rules) {
      const evidence = rule.matcher.test(statement);
      if (evidence) return { rule, reason: describeMatch(dialect, rule.matcher.match, evidence) };
    }
  }
  return null;
}
