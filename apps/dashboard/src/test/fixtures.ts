import type { Me } from '../auth/me';

export const BOB = {
  __typename: 'Me',
  id: 'u-bob',
  kind: 'user',
  roles: ['approver', 'user'],
  groups: ['engineers', 'approvers'],
  user: { __typename: 'User', id: 'u-bob', email: 'bob@example.com', displayName: 'Bob Lead' },
} as Me;

export const ALICE = {
  __typename: 'Me',
  id: 'u-alice',
  kind: 'user',
  roles: ['user'],
  groups: ['engineers'],
  user: { __typename: 'User', id: 'u-alice', email: 'alice@example.com', displayName: 'Alice Engineer' },
} as Me;

export function review(overrides: Record<string, unknown> = {}) {
  return {
    __typename: 'Review' as const,
    id: 'r-1',
    kind: 'COMMAND',
    status: 'PENDING',
    command: "UPDATE refunds SET state = 'paid' WHERE id = 1",
    connectionId: 'c-shop',
    connectionName: 'shop',
    requesterId: 'u-alice',
    requesterName: 'Alice Engineer',
    requesterPrincipalId: 'u-alice',
    reason: null,
    requestedSeconds: null,
    ruleId: 'rule-1',
    ruleName: 'refund changes',
    sessionId: 's-1',
    approverGroups: ['approvers'],
    requiredApprovals: 1,
    createdAt: new Date(Date.now() - 5_000).toISOString(),
    expiresAt: new Date(Date.now() + 300_000).toISOString(),
    decidedAt: null,
    decisions: [] as unknown[],
    ...overrides,
  };
}
