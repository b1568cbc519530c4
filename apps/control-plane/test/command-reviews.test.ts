// Held commands end to end: an agent (a raw gRPC client speaking the real contract) asks for
// approval, people from the real OIDC provider decide through GraphQL, and the decision reaches
// the agent's Control stream — with separation of duties, approver groups, several approvals,
// rejection, expiry (a BullMQ job) and an audit record for every step.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  createTestDatabase,
  graphql,
  queryDatabase,
  startControlPlane,
  type ControlPlaneHandle,
  type GraphqlResponse,
  type TestDatabase,
} from '@postern/testing';
import { startDevIdp, type DevIdp } from '../../../libs/testing/src/idp/dev-idp.js';
import { accessTokenFor, approvalsEnv } from './support/oidc-login.js';
import { RawAgent, createConnection, type PrincipalSpec } from './support/raw-agent.js';

const QUICK_TIMEOUT_SECONDS = 2;

let idp: DevIdp;
let database: TestDatabase;
let cp: ControlPlaneHandle;
let agent: RawAgent;
let ledger: string;
let tokens: Record<'alice' | 'bob' | 'carol', string>;
let alice: PrincipalSpec;
let rules: Record<'single' | 'pair' | 'quick', string>;

function as<T = Record<string, unknown>>(
  who: keyof typeof tokens,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphqlResponse<T>> {
  return graphql<T>(cp.graphqlUrl, query, variables, tokens[who]);
}

async function ok<T>(pending: Promise<GraphqlResponse<T>>): Promise<T> {
  const response = await pending;
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

async function createApprovalRule(input: Record<string, unknown>): Promise<string> {
  const data = await ok(
    cp.admin<{ createApprovalRule: { id: string } }>(
      'mutation($input: CreateApprovalRuleInput!) { createApprovalRule(input: $input) { id } }',
      { input: { connectionIds: [ledger], match: { statementKinds: ['DELETE'] }, ...input } },
    ),
  );
  return data.createApprovalRule.id;
}

/** The agent holds `command` under `ruleId` in `sessionId` and asks for approval. */
async function hold(
  ruleId: string,
  sessionId: string,
  requester: PrincipalSpec,
  command = 'DELETE FROM payments WHERE id = 7',
): Promise<string> {
  const requestId = randomUUID();
  agent.send({
    approvalRequest: {
      requestId,
      sessionId,
      ruleId,
      command,
      requester,
      timeoutSeconds: 300,
      connectionId: ledger,
      policyVersion: '3',
    },
  });
  await agent.sync();
  return requestId;
}

const decision = (requestId: string, outcome: string) =>
  agent.next((m) => m.approvalDecision?.requestId === requestId && m.approvalDecision.outcome === outcome, outcome);

const APPROVE =
  'mutation($id: ID!, $c: String) { approveReview(id: $id, comment: $c) { status decisions { userName approved } } }';
const REJECT = 'mutation($id: ID!, $c: String) { rejectReview(id: $id, comment: $c) { status } }';

beforeAll(async () => {
  idp = await startDevIdp();
  database = await createTestDatabase('postern_holds');
  cp = await startControlPlane({
    databaseUrl: database.url,
    env: {
      POSTERN_RELAY_POSTGRES_PORT: 'off',
      ...approvalsEnv(idp),
    },
  });
  tokens = {
    alice: await accessTokenFor(idp, 'alice'),
    bob: await accessTokenFor(idp, 'bob'),
    carol: await accessTokenFor(idp, 'carol'),
  };
  const me = await ok(as<{ me: { id: string } }>('alice', '{ me { id } }'));
  alice = { id: me.me.id, displayName: 'Alice Engineer', groups: ['engineers'], kind: 'KIND_USER' };
  agent = await RawAgent.start(cp, 'edge-holds');
  ledger = await createConnection(cp, 'ledger', agent.id);
  rules = {
    single: await createApprovalRule({ name: 'deletes', approverGroups: ['approvers'] }),
    pair: await createApprovalRule({
      name: 'deletes, four eyes',
      approverGroups: ['approvers', 'postern-admins'],
      requiredApprovals: 2,
    }),
    quick: await createApprovalRule({
      name: 'deletes, quick',
      approverGroups: ['approvers'],
      timeoutSeconds: QUICK_TIMEOUT_SECONDS,
    }),
  };
}, 60_000);

afterAll(async () => {
  agent?.close();
  await cp?.process.stop();
  await idp?.close();
  await database?.drop();
});

describe('held commands', () => {
  test('a held command becomes a COMMAND review; an approver approves; the agent gets APPROVED with decided_by', async () => {
    const session = agent.openSession(ledger, alice);
    const requestId = await hold(rules.single, session, alice);

    const pending = await ok(
      as<{ reviews: Array<Record<string, unknown>> }>(
        'bob',
        `{ reviews(kind: "COMMAND", status: "PENDING") { id kind status command connectionId connectionName
           requesterId requesterPrincipalId requesterName sessionId ruleId ruleName approverGroups
           requiredApprovals expiresAt decisions { userId } } }`,
      ),
    );
    const review = pending.reviews.find((r) => r['id'] === requestId);
    expect(review).toMatchObject({
      kind: 'COMMAND',
      status: 'PENDING',
      command: 'DELETE FROM payments WHERE id = 7',
      connectionId: ledger,
      connectionName: 'ledger',
      requesterId: alice.id,
      requesterPrincipalId: alice.id,
      requesterName: 'Alice Engineer',
      sessionId: session,
      ruleId: rules.single,
      ruleName: 'deletes',
      approverGroups: ['approvers'],
      requiredApprovals: 1,
      decisions: [],
    });
    expect(Date.parse(review!['expiresAt'] as string) - Date.now()).toBeGreaterThan(290_000);
    // The requester sees her own request.
    const own = await ok(as<{ reviews: Array<{ id: string }> }>('alice', '{ reviews(kind: "COMMAND") { id } }'));
    expect(own.reviews.map((r) => r.id)).toContain(requestId);

    const outsider = await as('carol', APPROVE, { id: requestId });
    expect(outsider.errors?.[0]).toMatchObject({ extensions: { code: 'PERMISSION_DENIED' } });
    expect(outsider.errors?.[0]?.message).toMatch(/only members of approvers/);
    expect((await as('alice', APPROVE, { id: requestId })).errors?.[0]?.extensions?.code).toBe('PERMISSION_DENIED');

    const approved = await ok(
      as<{ approveReview: { status: string; decisions: Array<{ userName: string }> } }>('bob', APPROVE, {
        id: requestId,
        c: 'checked the ticket',
      }),
    );
    expect(approved.approveReview).toEqual({
      status: 'APPROVED',
      decisions: [{ userName: 'bob@example.com', approved: true }],
    });
    const sent = await decision(requestId, 'OUTCOME_APPROVED');
    expect(sent.approvalDecision).toEqual({
      requestId,
      reviewId: requestId,
      outcome: 'OUTCOME_APPROVED',
      decidedBy: 'bob@example.com',
      comment: 'checked the ticket',
    });

    // A resent request (the agent reconnected) is stored once and answered from the stored outcome.
    agent.send({
      approvalRequest: {
        requestId,
        sessionId: session,
        ruleId: rules.single,
        command: 'DELETE FROM payments WHERE id = 7',
        requester: alice,
        timeoutSeconds: 300,
        connectionId: ledger,
        policyVersion: '3',
      },
    });
    await agent.sync();
    expect(agent.decisions(requestId).map((d) => d.outcome)).toEqual(['OUTCOME_APPROVED', 'OUTCOME_APPROVED']);
    const stored = await queryDatabase(database.url, 'SELECT 1 FROM reviews WHERE id = $1', [requestId]);
    expect(stored).toHaveLength(1);
  });

  test('the requester never decides their own command, also as the same IdP subject; a closed session cancels it', async () => {
    const bobByToken: PrincipalSpec = { id: 'oidc:bob', displayName: 'bob', groups: ['approvers'], kind: 'KIND_USER' };
    const session = agent.openSession(ledger, bobByToken);
    const requestId = await hold(rules.single, session, bobByToken);
    const self = await as('bob', APPROVE, { id: requestId });
    expect(self.errors?.[0]).toMatchObject({
      message: 'you cannot decide your own request',
      extensions: { code: 'PERMISSION_DENIED' },
    });

    agent.closeSession(session);
    await agent.sync();
    const cancelled = await ok(
      as<{ reviews: Array<{ id: string }> }>('carol', '{ reviews(status: "CANCELLED") { id } }'),
    );
    expect(cancelled.reviews.map((r) => r.id)).toContain(requestId);
  });

  test("separation of duties follows the person: a local account with bob's e-mail requests, OIDC bob may not decide", async () => {
    const createUser = (email: string) =>
      ok(
        cp.admin<{ createUser: { id: string } }>(
          'mutation($e: String!) { createUser(input: { email: $e, groups: ["engineers"] }) { id } }',
          { e: email },
        ),
      );
    const local = (id: string): PrincipalSpec => ({
      id,
      displayName: 'local',
      groups: ['engineers'],
      kind: 'KIND_USER',
    });
    // The admin typed bob's address in another case: still bob (the IdP says his e-mail is verified).
    const bobLocal = local((await createUser('Bob@Example.com')).createUser.id);
    const session = agent.openSession(ledger, bobLocal);
    const requestId = await hold(rules.single, session, bobLocal);
    const self = await as('bob', APPROVE, { id: requestId });
    expect(self.errors?.[0]).toMatchObject({
      message: 'you cannot decide your own request',
      extensions: { code: 'PERMISSION_DENIED' },
    });
    await agent.sync();
    expect(agent.decisions(requestId)).toEqual([]);

    // Someone else's local account: bob decides as usual.
    const dave = local((await createUser('dave@example.com')).createUser.id);
    const other = agent.openSession(ledger, dave, randomUUID());
    const theirs = await hold(rules.single, other, dave);
    const approved = await ok(as<{ approveReview: { status: string } }>('bob', APPROVE, { id: theirs }));
    expect(approved.approveReview.status).toBe('APPROVED');
    agent.closeSession(session);
    agent.closeSession(other);
    await agent.sync();
  });

  test('two required approvals: one is not enough, the same approver cannot count twice', async () => {
    const session = agent.openSession(ledger, alice);
    const requestId = await hold(rules.pair, session, alice);

    const first = await ok(as<{ approveReview: { status: string } }>('bob', APPROVE, { id: requestId }));
    expect(first.approveReview.status).toBe('PENDING');
    const twice = await as('bob', APPROVE, { id: requestId });
    expect(twice.errors?.[0]).toMatchObject({ message: 'you already decided this request' });
    await agent.sync();
    expect(agent.decisions(requestId)).toEqual([]);

    const second = await ok(as<{ approveReview: { status: string } }>('carol', APPROVE, { id: requestId, c: 'ok' }));
    expect(second.approveReview.status).toBe('APPROVED');
    const sent = await decision(requestId, 'OUTCOME_APPROVED');
    expect(sent.approvalDecision?.decidedBy).toBe('bob@example.com, carol@example.com');
    expect(agent.decisions(requestId)).toHaveLength(1);
  });

  test('one rejection settles a review and the agent gets REJECTED with the reason', async () => {
    const session = agent.openSession(ledger, alice);
    const requestId = await hold(rules.single, session, alice);
    const rejected = await ok(
      as<{ rejectReview: { status: string } }>('bob', REJECT, { id: requestId, c: 'not during the freeze' }),
    );
    expect(rejected.rejectReview.status).toBe('REJECTED');
    const sent = await decision(requestId, 'OUTCOME_REJECTED');
    expect(sent.approvalDecision).toMatchObject({ decidedBy: 'bob@example.com', comment: 'not during the freeze' });
  });

  test('a review nobody decides expires at the rule timeout: EXPIRED reaches the agent, later decisions are refused', async () => {
    const session = agent.openSession(ledger, alice);
    const heldAt = Date.now();
    const requestId = await hold(rules.quick, session, alice);
    const sent = await decision(requestId, 'OUTCOME_EXPIRED');
    expect(Date.now() - heldAt).toBeGreaterThanOrEqual(QUICK_TIMEOUT_SECONDS * 1000 - 200);
    expect(sent.approvalDecision?.decidedBy).toBe('postern');
    const late = await as('bob', APPROVE, { id: requestId });
    expect(late.errors?.[0]).toMatchObject({ extensions: { code: 'FAILED_PRECONDITION' } });
    const expired = await ok(as<{ reviews: Array<{ id: string }> }>('bob', '{ reviews(status: "EXPIRED") { id } }'));
    expect(expired.reviews.map((r) => r.id)).toContain(requestId);
  });

  test('requests under a disabled or unknown rule, for a session the agent does not hold, or too long are rejected at once', async () => {
    const retired = await createApprovalRule({ name: 'retired', approverGroups: ['approvers'] });
    await ok(
      cp.admin('mutation($id: ID!) { updateApprovalRule(id: $id, input: { enabled: false }) { id } }', { id: retired }),
    );
    const session = agent.openSession(ledger, alice);

    const disabled = await hold(retired, session, alice);
    expect((await decision(disabled, 'OUTCOME_REJECTED')).approvalDecision).toMatchObject({
      decidedBy: 'postern',
      comment: expect.stringMatching(/rule no longer exists, is disabled/),
    });
    const unknownRule = await hold(randomUUID(), session, alice);
    await decision(unknownRule, 'OUTCOME_REJECTED');
    const unknownSession = await hold(rules.single, randomUUID(), alice);
    expect((await decision(unknownSession, 'OUTCOME_REJECTED')).approvalDecision?.comment).toMatch(
      /session is unknown/,
    );
    const impostor = await hold(rules.single, session, { ...alice, id: 'oidc:mallory' });
    expect((await decision(impostor, 'OUTCOME_REJECTED')).approvalDecision?.comment).toMatch(/requester/);
    const tooLong = await hold(rules.single, session, alice, `DELETE FROM t WHERE x IN (${'1,'.repeat(9000)}1)`);
    expect((await decision(tooLong, 'OUTCOME_REJECTED')).approvalDecision?.comment).toMatch(/16 KiB/);
  });

  test('every step is audited with the review id', async () => {
    const page = await ok(
      as<{ auditEvents: { events: Array<{ kind: string; detailsJson: string; sessionId: string | null }> } }>(
        'carol',
        '{ auditEvents(filter: { kindPrefix: "command_review." }, first: 200) { events { kind detailsJson sessionId } } }',
      ),
    );
    const kinds = new Set(page.auditEvents.events.map((e) => e.kind));
    for (const kind of ['requested', 'approval_recorded', 'approved', 'rejected', 'expired', 'cancelled', 'refused']) {
      expect(kinds).toContain(`command_review.${kind}`);
    }
    for (const event of page.auditEvents.events) {
      expect(JSON.parse(event.detailsJson)).toMatchObject({ reviewId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    }
  });
});

describe('authorization', () => {
  test('a plain user is refused every rules, audit and decision operation', async () => {
    const id = randomUUID();
    const operations = [
      '{ guardrails { id } }',
      '{ approvalRules { id } }',
      '{ maskingRules { id } }',
      '{ auditEvents { nextCursor } }',
      'mutation { createGuardrail(input: { name: "x", match: { statementKinds: ["DROP"] } }) { id } }',
      `mutation { updateGuardrail(id: "${id}", input: { enabled: false }) { id } }`,
      `mutation { deleteGuardrail(id: "${id}") { id } }`,
      'mutation { createApprovalRule(input: { name: "x", approverGroups: ["engineers"], match: { statementKinds: ["DELETE"] } }) { id } }',
      `mutation { updateApprovalRule(id: "${id}", input: { enabled: false }) { id } }`,
      `mutation { deleteApprovalRule(id: "${id}") { id } }`,
      'mutation { createMaskingRule(input: { name: "x", spec: { columns: ["email"], style: "redact" } }) { id } }',
      `mutation { updateMaskingRule(id: "${id}", input: { enabled: false }) { id } }`,
      `mutation { deleteMaskingRule(id: "${id}") { id } }`,
      `mutation { approveReview(id: "${id}") { id } }`,
      `mutation { rejectReview(id: "${id}") { id } }`,
    ];
    for (const operation of operations) {
      const refused = await as('alice', operation);
      expect({ operation, code: refused.errors?.[0]?.extensions?.code }).toEqual({
        operation,
        code: 'PERMISSION_DENIED',
      });
    }
    const rows = await queryDatabase(database.url, `SELECT 1 FROM policy_rules WHERE name = 'x'`);
    expect(rows).toHaveLength(0);
  });
});
