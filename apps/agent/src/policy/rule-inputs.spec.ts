import { describe, expect, test } from '@jest/globals';
import { MATCH_EVERY_COMMAND, type StatementMatch } from '@postern/policy';
import type { DialectRules } from '../engines/engine.js';
import { ruleInputs } from './rule-inputs.js';

const base = { id: 'r', connectionIds: [], groups: [] };
const rules = (specJson: string): DialectRules =>
  ({
    guardrails: [{ ...base, name: 'g', action: 'block', specJson }],
    approvalRules: [{ ...base, name: 'a', approverGroups: ['x'], requiredApprovals: 0, timeoutSeconds: 0, specJson }],
    maskingRules: [{ ...base, name: 'm', exemptGroups: [], specJson }],
  }) as unknown as DialectRules;

describe('ruleInputs', () => {
  test("rules that load keep the dialect's match, with approval bounds of at least 1", () => {
    const parsed: StatementMatch = { statementKinds: ['DROP'] };
    const inputs = ruleInputs({ ...rules('{}'), maskingRules: [] }, () => parsed);
    expect(inputs.problems).toEqual([]);
    expect(inputs.guardrails[0]!.match).toBe(parsed);
    expect(inputs.approvals[0]).toMatchObject({ match: parsed, requiredApprovals: 1, timeoutSeconds: 1 });
  });

  test('a rule that does not load fails closed and is named: every command matched, every column redacted', () => {
    const inputs = ruleInputs(rules('{not json'), () => {
      throw new Error('unreachable');
    });
    expect(inputs.guardrails[0]!.match).toBe(MATCH_EVERY_COMMAND);
    expect(inputs.approvals[0]!.match).toBe(MATCH_EVERY_COMMAND);
    expect(inputs.masking[0]!.spec).toEqual({ columns: ['*'], style: 'redact' });
    expect(inputs.problems).toEqual([
      expect.stringMatching(/^guardrail g: /),
      expect.stringMatching(/^approval rule a: /),
      expect.stringMatching(/^masking rule m: /),
    ]);
  });
});
