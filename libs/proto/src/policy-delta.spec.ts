import { describe, expect, test } from '@jest/globals';
import { agentV1 } from './index.js';
import { PolicyBaseMismatchError, applyPolicyUpdate, diffPolicy, isEmptyUpdate } from './policy-delta.js';
import type { ControlMessage, ControlMessage__Output, PolicySnapshot, PolicySnapshot__Output } from './types.js';

/** Through the real wire encoding, as the agent receives it. */
function wire(message: ControlMessage): ControlMessage__Output {
  const method = agentV1().Control.service.Connect;
  return method.responseDeserialize(method.responseSerialize(message)) as ControlMessage__Output;
}

function snapshot(version: string, overrides: Partial<PolicySnapshot> = {}): PolicySnapshot__Output {
  return {
    version,
    generatedAt: { unixMs: '1000' },
    connections: [],
    accessRules: [],
    guardrails: [],
    maskingRules: [],
    approvalRules: [],
    grants: [],
    revokedPrincipals: [],
    identity: null,
    credentials: [],
    sshKeys: [],
    ...overrides,
  } as PolicySnapshot__Output;
}

const guardrail = (id: string, spec = '{}') => ({
  id,
  name: `g-${id}`,
  connectionIds: [],
  groups: [],
  action: 'block',
  specJson: spec,
  dialect: 'postgres',
});

describe('policy deltas', () => {
  test('a delta applied to its base gives the new snapshot exactly', () => {
    const base = snapshot('4', { guardrails: [guardrail('a'), guardrail('b'), guardrail('c')] });
    const next = snapshot('5', {
      generatedAt: { unixMs: '2000' },
      guardrails: [guardrail('a'), guardrail('c', '{"kinds":["drop"]}'), guardrail('d')],
      revokedPrincipals: [{ principalId: 'oidc:x', revokedAt: { unixMs: '5' } }],
    });
    const update = wire({ policyUpdate: diffPolicy(base, next) }).policyUpdate!;
    expect(update.removedGuardrailIds).toEqual(['b']);
    expect(update.upserts?.guardrails?.map((g) => g.id)).toEqual(['c', 'd']);
    expect(applyPolicyUpdate(base, update)).toEqual(next);
  });

  test('removals and re-enabled principals', () => {
    const base = snapshot('7', { revokedPrincipals: [{ principalId: 'oidc:x', revokedAt: { unixMs: '5' } }] });
    const next = snapshot('8');
    const update = wire({ policyUpdate: diffPolicy(base, next) }).policyUpdate!;
    expect(update.removedRevokedPrincipalIds).toEqual(['oidc:x']);
    expect(applyPolicyUpdate(base, update)).toEqual(next);
  });

  test('an unchanged policy is an empty delta', () => {
    const base = snapshot('3', { guardrails: [guardrail('a')] });
    expect(isEmptyUpdate(diffPolicy(base, { ...base, version: '4' }))).toBe(true);
  });

  test('refuses a delta computed against another version', () => {
    const update = wire({ policyUpdate: diffPolicy(snapshot('2'), snapshot('3')) }).policyUpdate!;
    expect(() => applyPolicyUpdate(snapshot('1'), update)).toThrow(PolicyBaseMismatchError);
    expect(() => applyPolicyUpdate(null, update)).toThrow(PolicyBaseMismatchError);
  });
});
