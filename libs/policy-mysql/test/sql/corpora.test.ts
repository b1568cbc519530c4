// Runs the guardrail corpora (test/corpora/guardrails) against their reference rule set: every
// bypass attempt in blocked.jsonl must be refused (by the rule it names), every benign
// look-alike in allowed.jsonl must pass. Failing lines are listed with their line numbers.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { StatementDecision, StatementMatch, StatementRuleInput } from '@postern/policy';
import { compileStatementPolicy, initSqlParser } from '@postern/policy-mysql';

interface CorpusLine {
  readonly sql: string;
  readonly class: string;
  readonly note: string;
  /** Expected blocking rule (blocked.jsonl). */
  readonly rule?: string;
  /** Expected action when not the file's default ("invalid" for text that cannot be checked). */
  readonly action?: StatementDecision['action'];
}

const corpusUrl = (name: string) => new URL(`../corpora/guardrails/${name}`, import.meta.url);

function readCorpus(name: string): { line: number; entry: CorpusLine }[] {
  return readFileSync(corpusUrl(name), 'utf8')
    .split('\n')
    .map((text, index) => ({ text, line: index + 1 }))
    .filter(({ text }) => text.trim() !== '')
    .map(({ text, line }) => ({ line, entry: JSON.parse(text) as CorpusLine }));
}

const reference = JSON.parse(readFileSync(corpusUrl('rules.json'), 'utf8')) as {
  guardrails: { id: string; name: string; match: StatementMatch }[];
};
const guardrails: StatementRuleInput[] = reference.guardrails.map((rule) => ({
  ...rule,
  connectionIds: [],
  groups: [],
}));

const blocked = readCorpus('blocked.jsonl');
const allowed = readCorpus('allowed.jsonl');

beforeAll(() => initSqlParser());

function describeDecision(decision: StatementDecision): string {
  switch (decision.action) {
    case 'block':
      return `block by ${decision.rule.id}: ${decision.reason}`;
    case 'hold':
      return `hold by ${decision.rule.id}`;
    case 'invalid':
      return `invalid: ${decision.message}`;
    default:
      return 'allow';
  }
}

describe('MySQL guardrail corpora', () => {
  const session = () => compileStatementPolicy(guardrails, [], { cacheSize: 0 }).forSession('conn', ['dev']);

  test('are large and varied', () => {
    expect(blocked.length).toBeGreaterThanOrEqual(500);
    expect(allowed.length).toBeGreaterThanOrEqual(300);
    expect(new Set(blocked.map(({ entry }) => entry.class)).size).toBeGreaterThanOrEqual(15);
    expect(new Set(allowed.map(({ entry }) => entry.class)).size).toBeGreaterThanOrEqual(12);
  });

  test('every bypass attempt is refused, by the rule it names', () => {
    const policy = session();
    const failures = blocked.flatMap(({ line, entry }) => {
      const decision = policy.evaluate(entry.sql);
      const expectedAction = entry.action ?? 'block';
      const ruleOk = entry.rule === undefined || (decision.action === 'block' && decision.rule.id === entry.rule);
      if (decision.action === expectedAction && ruleOk) return [];
      const expected = `${expectedAction}${entry.rule ? ` by ${entry.rule}` : ''}`;
      return [
        `blocked.jsonl:${line} [${entry.class}] expected ${expected}, got ${describeDecision(decision)}: ${entry.sql}`,
      ];
    });
    expect(failures).toEqual([]);
  });

  test('every benign look-alike passes', () => {
    const policy = session();
    const failures = allowed.flatMap(({ line, entry }) => {
      const decision = policy.evaluate(entry.sql);
      const expectedAction = entry.action ?? 'allow';
      if (decision.action === expectedAction) return [];
      return [`allowed.jsonl:${line} [${entry.class}] got ${describeDecision(decision)}: ${entry.sql}`];
    });
    expect(failures).toEqual([]);
  });
});
