// Guardrails, approval rules and masking rules through the admin API, compiled into the policy
// snapshot of a connected agent (a raw gRPC client speaking the real contract); and agents'
// audit batches stored once, attributed to their sessions, and searchable.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  createTestDatabase,
  queryDatabase,
  startControlPlane,
  type ControlPlaneHandle,
  type TestDatabase,
} from '@postern/testing';
import { RawAgent, createConnection } from './support/raw-agent.js';

let database: TestDatabase;
let cp: ControlPlaneHandle;
let agent: RawAgent;
let other: RawAgent;
let orders: string;
let billing: string;
let elsewhere: string;

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

async function refusal(query: string, variables: Record<string, unknown>) {
  const response = await cp.admin(query, variables);
  expect(response.data ?? null).toBeNull();
  return response.errors![0]!;
}

beforeAll(async () => {
  database = await createTestDatabase('postern_rules');
  cp = await startControlPlane({ databaseUrl: database.url });
  [agent, other] = await Promise.all([RawAgent.start(cp, 'edge-rules'), RawAgent.start(cp, 'edge-other')]);
  orders = await createConnection(cp, 'orders', agent.id);
  billing = await createConnection(cp, 'billing', agent.id);
  elsewhere = await createConnection(cp, 'elsewhere', other.id);
}, 60_000);

afterAll(async () => {
  agent?.close();
  other?.close();
  await cp?.process.stop();
  await database?.drop();
});

const CREATE_GUARDRAIL =
  'mutation($input: CreateGuardrailInput!) { createGuardrail(input: $input) { id name connectionIds groups enabled match { statementKinds relations missingWhere } } }';
const CREATE_APPROVAL =
  'mutation($input: CreateApprovalRuleInput!) { createApprovalRule(input: $input) { id approverGroups requiredApprovals timeoutSeconds } }';
const CREATE_MASKING =
  'mutation($input: CreateMaskingRuleInput!) { createMaskingRule(input: $input) { id exemptGroups spec { columns detectors style } } }';

describe('rules API and the policy snapshot', () => {
  test('created rules reach the agent, scoped to its connections, with their bodies as libs/policy JSON', async () => {
    const guardrail = (
      await admin<{ createGuardrail: { id: string; connectionIds: string[]; groups: string[]; enabled: boolean } }>(
        CREATE_GUARDRAIL,
        {
          input: {
            name: 'no drops on orders',
            connectionIds: [orders],
            groups: ['engineers'],
            match: { statementKinds: ['DROP TABLE', 'TRUNCATE'] },
          },
        },
      )
    ).createGuardrail;
    expect(guardrail).toMatchObject({ connectionIds: [orders], groups: ['engineers'], enabled: true });

    const approval = (
      await admin<{ createApprovalRule: { id: string; requiredApprovals: number; timeoutSeconds: number } }>(
        CREATE_APPROVAL,
        {
          input: {
            name: 'deletes need a second pair of eyes',
            connectionIds: [orders, elsewhere],
            approverGroups: ['dba', 'approvers'],
            requiredApprovals: 2,
            timeoutSeconds: 120,
            match: { statementKinds: ['DELETE'], missingWhere: true },
          },
        },
      )
    ).createApprovalRule;
    expect(approval).toMatchObject({ requiredApprovals: 2, timeoutSeconds: 120 });

    const masking = (
      await admin<{ createMaskingRule: { id: string; spec: { style: string } } }>(CREATE_MASKING, {
        input: {
          name: 'customer contact data',
          exemptGroups: ['support-leads'],
          spec: { columns: ['customers.email'], detectors: ['payment_card'], style: 'partial' },
        },
      })
    ).createMaskingRule;
    expect(masking.spec.style).toBe('partial');

    // Another agent's rule is none of this agent's business.
    const foreign = (
      await admin<{ createGuardrail: { id: string } }>(CREATE_GUARDRAIL, {
        input: { name: 'elsewhere only', connectionIds: [elsewhere], match: { statementKinds: ['DROP'] } },
      })
    ).createGuardrail;

    const snapshot = await agent.snapshot(
      (s) => s.guardrails.length > 0 && s.approvalRules.length > 0 && s.maskingRules.length > 0,
      'a snapshot with every kind of rule',
    );
    expect(snapshot.guardrails).toEqual([
      {
        id: guardrail.id,
        name: 'no drops on orders',
        connectionIds: [orders],
        groups: ['engineers'],
        action: 'block',
        specJson: expect.any(String),
        dialect: 'postgres',
      },
    ]);
    expect(JSON.parse(snapshot.guardrails[0]!.specJson)).toMatchObject({ statementKinds: ['DROP TABLE', 'TRUNCATE'] });
    expect(snapshot.approvalRules).toEqual([
      {
        id: approval.id,
        name: 'deletes need a second pair of eyes',
        connectionIds: [orders],
        groups: [],
        approverGroups: ['approvers', 'dba'],
        requiredApprovals: 2,
        timeoutSeconds: 120,
        specJson: expect.any(String),
        dialect: 'postgres',
      },
    ]);
    expect(JSON.parse(snapshot.approvalRules[0]!.specJson)).toMatchObject({
      statementKinds: ['DELETE'],
      missingWhere: true,
    });
    expect(snapshot.maskingRules).toEqual([
      {
        id: masking.id,
        name: 'customer contact data',
        connectionIds: [],
        exemptGroups: ['support-leads'],
        specJson: expect.any(String),
        dialect: 'postgres',
      },
    ]);
    expect(JSON.parse(snapshot.maskingRules[0]!.specJson)).toMatchObject({
      columns: ['customers.email'],
      detectors: ['payment_card'],
      style: 'partial',
    });
    // The dialect travels beside the body: agents parse masking specs strictly.
    expect(JSON.parse(snapshot.maskingRules[0]!.specJson)).not.toHaveProperty('dialect');
    expect(snapshot.guardrails.map((g) => g.id)).not.toContain(foreign.id);
    const otherSnapshot = await other.snapshot((s) => s.guardrails.length > 0, 'the other agent gets its guardrail');
    expect(otherSnapshot.guardrails.map((g) => g.id)).toEqual([foreign.id]);

    // Every change is audited with the rule id and bumps the policy version.
    const audit = await queryDatabase<{ kind: string; rule_id: string; actor_id: string }>(
      database.url,
      `SELECT kind, rule_id, actor_id FROM audit_events WHERE rule_id = ANY($1) ORDER BY seq`,
      [[guardrail.id, approval.id, masking.id]],
    );
    expect(audit).toEqual([
      { kind: 'guardrail.created', rule_id: guardrail.id, actor_id: 'bootstrap-admin' },
      { kind: 'approval_rule.created', rule_id: approval.id, actor_id: 'bootstrap-admin' },
      { kind: 'masking_rule.created', rule_id: masking.id, actor_id: 'bootstrap-admin' },
    ]);
  });

  test('updating, disabling and deleting rules is pushed too; lists filter by connection', async () => {
    const { createGuardrail: rule } = await admin<{ createGuardrail: { id: string } }>(CREATE_GUARDRAIL, {
      input: { name: 'billing: no DELETE without WHERE', connectionIds: [billing], match: { missingWhere: true } },
    });
    await agent.snapshot((s) => s.guardrails.some((g) => g.id === rule.id), 'the new guardrail');

    const updated = await admin<{ updateGuardrail: { name: string; groups: string[]; connectionIds: string[] } }>(
      'mutation($id: ID!) { updateGuardrail(id: $id, input: { groups: ["contractors"] }) { name groups connectionIds } }',
      { id: rule.id },
    );
    expect(updated.updateGuardrail).toEqual({
      name: 'billing: no DELETE without WHERE',
      groups: ['contractors'],
      connectionIds: [billing],
    });
    await agent.snapshot(
      (s) => s.guardrails.find((g) => g.id === rule.id)?.groups.join() === 'contractors',
      'the updated guardrail',
    );

    const listed = await admin<{ guardrails: Array<{ id: string }> }>(
      'query($c: ID) { guardrails(connectionId: $c) { id } }',
      { c: billing },
    );
    expect(listed.guardrails.map((g) => g.id)).toEqual([rule.id]);

    await admin('mutation($id: ID!) { updateGuardrail(id: $id, input: { enabled: false }) { id } }', { id: rule.id });
    await agent.snapshot((s) => !s.guardrails.some((g) => g.id === rule.id), 'the disabled guardrail withdrawn');
    await admin('mutation($id: ID!) { updateGuardrail(id: $id, input: { enabled: true }) { id } }', { id: rule.id });
    await agent.snapshot((s) => s.guardrails.some((g) => g.id === rule.id), 'the re-enabled guardrail');

    const deleted = await admin<{ deleteGuardrail: { id: string } }>(
      'mutation($id: ID!) { deleteGuardrail(id: $id) { id } }',
      { id: rule.id },
    );
    expect(deleted.deleteGuardrail.id).toBe(rule.id);
    await agent.snapshot((s) => !s.guardrails.some((g) => g.id === rule.id), 'the deleted guardrail withdrawn');
    const again = await refusal('mutation($id: ID!) { deleteGuardrail(id: $id) { id } }', { id: rule.id });
    expect(again.extensions?.code).toBe('NOT_FOUND');
  });

  test('invalid rules are refused with INVALID_ARGUMENT and a message naming the field', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      [CREATE_GUARDRAIL, { name: 'x', match: { statementKinds: ['NOT A STATEMENT'] } }, /^match\.statementKinds/],
      [CREATE_GUARDRAIL, { name: ' ', match: { statementKinds: ['DROP'] } }, /^name: /],
      [
        CREATE_GUARDRAIL,
        { name: 'x', connectionIds: [randomUUID()], match: { statementKinds: ['DROP'] } },
        /^connectionIds: no connection /,
      ],
      [CREATE_GUARDRAIL, { name: 'x', groups: ['bad group!'], match: { statementKinds: ['DROP'] } }, /^groups\[0\]/],
      [CREATE_APPROVAL, { name: 'x', approverGroups: [], match: { statementKinds: ['DELETE'] } }, /^approverGroups: /],
      [
        CREATE_APPROVAL,
        { name: 'x', approverGroups: ['dba'], requiredApprovals: 6, match: { statementKinds: ['DELETE'] } },
        /^requiredApprovals: must be an integer from 1 to 5/,
      ],
      [
        CREATE_APPROVAL,
        { name: 'x', approverGroups: ['dba'], timeoutSeconds: 5, match: { statementKinds: ['DELETE'] } },
        /^timeoutSeconds: must be an integer from 10 to 86400/,
      ],
      [CREATE_MASKING, { name: 'x', spec: { columns: ['email'], style: 'blur' } }, /^spec\.style/],
      [CREATE_MASKING, { name: 'x', spec: { detectors: ['horoscope'], style: 'redact' } }, /^spec\.detectors/],
    ];
    for (const [mutation, input, message] of cases) {
      const error = await refusal(mutation, { input });
      expect({ input, code: error.extensions?.code }).toEqual({ input, code: 'INVALID_ARGUMENT' });
      expect(error.message).toMatch(message);
    }
  });
});

describe('audit events from agents', () => {
  const principal = { id: randomUUID(), displayName: 'Alice', groups: ['engineers'], kind: 'KIND_USER' as const };

  function event(overrides: Record<string, unknown> = {}) {
    return {
      eventId: randomUUID(),
      sessionId: '',
      at: { unixMs: String(Date.now()) },
      kind: 'statement.blocked',
      decision: 'blocked',
      ruleId: randomUUID(),
      policyVersion: '7',
      detailsJson: JSON.stringify({ statement: 'DROP TABLE orders', reason: 'guardrail' }),
      ...overrides,
    };
  }

  test('a batch sent twice is stored once, attributed to the session; bad events and foreign sessions are dropped', async () => {
    const session = agent.openSession(orders, principal);
    const foreignSession = other.openSession(elsewhere, principal);
    await Promise.all([agent.sync(), other.sync()]);

    const good = event({ sessionId: session });
    const masked = event({
      sessionId: session,
      kind: 'session.policy_summary',
      decision: 'summary',
      detailsJson: '{"masked":3}',
    });
    const orphan = event({ sessionId: randomUUID(), kind: 'statement.approved', decision: 'approved' });
    const bad = [
      event({ kind: 'Bad Kind' }),
      event({ detailsJson: '[1,2,3]' }),
      event({ detailsJson: JSON.stringify({ big: 'x'.repeat(17 * 1024) }) }),
      event({ eventId: 'not-a-uuid' }),
      event({ sessionId: foreignSession }),
    ];
    const batch = { auditEvents: { events: [good, masked, orphan, ...bad] } };
    agent.send(batch);
    agent.send(batch);
    await agent.sync();

    const rows = await queryDatabase<{
      id: string;
      kind: string;
      session_id: string | null;
      connection_id: string | null;
      agent_id: string;
      actor_id: string;
      rule_id: string;
      policy_version: string;
      details: Record<string, unknown>;
    }>(
      database.url,
      `SELECT id, kind, session_id, connection_id, agent_id, actor_id, rule_id, policy_version::text, details
         FROM audit_events WHERE id::text = ANY($1) ORDER BY seq`,
      [batch.auditEvents.events.map((e) => e.eventId)],
    );
    expect(rows.map((r) => r.id)).toEqual([good.eventId, masked.eventId, orphan.eventId]);
    expect(rows[0]).toMatchObject({
      session_id: session,
      connection_id: orders,
      agent_id: agent.id,
      actor_id: principal.id,
      rule_id: good.ruleId,
      policy_version: '7',
      details: { statement: 'DROP TABLE orders', reason: 'guardrail' },
    });
    expect(rows[2]).toMatchObject({ session_id: null, details: { unverifiedSessionId: orphan.sessionId } });
    // Refusals are logged for operators; the stream carried on and the agent is still online.
    await cp.process.waitForMessage("audit event for another agent's session refused");
    expect(cp.process.logs.filter((l) => l.msg === 'audit event refused')).toHaveLength(8);
    const agents = await cp.admin<{ agent: { status: string } }>('query($id: ID!) { agent(id: $id) { status } }', {
      id: agent.id,
    });
    expect(agents.data!.agent.status).toBe('ONLINE');
  });

  test("a rogue agent cannot write into another agent's session: foreign session ids and control-plane kinds are refused", async () => {
    const victim = agent.openSession(orders, principal);
    await agent.sync();
    const trail = () =>
      queryDatabase<{ kind: string; agent_id: string | null }>(
        database.url,
        'SELECT kind, agent_id FROM audit_events WHERE session_id = $1 ORDER BY seq',
        [victim],
      );
    expect(await trail()).toEqual([{ kind: 'session.opened', agent_id: agent.id }]);

    // `other` claims the victim's session id for a connection it serves itself.
    other.openSession(elsewhere, principal, victim);
    const forged = ['session.opened', 'review.approved', 'command_review.approved', 'agent.enrolled'].map((kind) =>
      event({ kind, decision: 'approved' }),
    );
    const ownSession = other.openSession(elsewhere, principal);
    const own = event({ sessionId: ownSession, kind: 'statement.held', decision: 'held' });
    other.send({ auditEvents: { events: [...forged, own] } });
    await other.sync();

    expect(await trail()).toEqual([{ kind: 'session.opened', agent_id: agent.id }]);
    const stored = await queryDatabase<{ id: string; kind: string; agent_id: string; session_id: string }>(
      database.url,
      'SELECT id, kind, agent_id, session_id FROM audit_events WHERE id::text = ANY($1) ORDER BY seq',
      [[...forged, own].map((e) => e.eventId)],
    );
    expect(stored).toEqual([{ id: own.eventId, kind: 'statement.held', agent_id: other.id, session_id: ownSession }]);
    const sessions = await queryDatabase<{ agent_id: string }>(
      database.url,
      'SELECT agent_id FROM sessions WHERE id = $1',
      [victim],
    );
    expect(sessions).toEqual([{ agent_id: agent.id }]);
    await cp.process.waitForLog((line) => line.msg === 'session report refused' && line['agentId'] === other.id);
    const status = await cp.admin<{ agent: { status: string } }>('query($id: ID!) { agent(id: $id) { status } }', {
      id: other.id,
    });
    expect(status.data!.agent.status).toBe('ONLINE');
  });

  test('the auditEvents query filters by session, kind prefix, decision and rule, and pages by cursor', async () => {
    const session = agent.openSession(billing, principal);
    const events = Array.from({ length: 3 }, (_, i) =>
      event({
        sessionId: session,
        kind: i === 2 ? 'session.policy_summary' : 'statement.held',
        decision: i === 2 ? 'masked' : 'held',
      }),
    );
    agent.send({ auditEvents: { events } });
    await agent.sync();
    const QUERY = `query($f: AuditEventFilter, $first: Int, $after: String) {
      auditEvents(filter: $f, first: $first, after: $after) {
        events { id kind decision sessionId connectionId ruleId policyVersion detailsJson } nextCursor } }`;
    type Page = {
      auditEvents: {
        events: Array<{ id: string; kind: string; connectionId: string; detailsJson: string }>;
        nextCursor: string | null;
      };
    };

    const first = await admin<Page>(QUERY, { f: { sessionId: session, kindPrefix: 'statement.' }, first: 1 });
    expect(first.auditEvents.events.map((e) => e.id)).toEqual([events[1]!.eventId]);
    expect(first.auditEvents.events[0]!.connectionId).toBe(billing);
    expect(JSON.parse(first.auditEvents.events[0]!.detailsJson)).toMatchObject({ statement: 'DROP TABLE orders' });
    const second = await admin<Page>(QUERY, {
      f: { sessionId: session, kindPrefix: 'statement.' },
      first: 1,
      after: first.auditEvents.nextCursor,
    });
    expect(second.auditEvents.events.map((e) => e.id)).toEqual([events[0]!.eventId]);
    const third = await admin<Page>(QUERY, {
      f: { sessionId: session, kindPrefix: 'statement.' },
      first: 1,
      after: second.auditEvents.nextCursor,
    });
    expect(third.auditEvents).toEqual({ events: [], nextCursor: null });

    const byDecision = await admin<Page>(QUERY, { f: { connectionId: billing, decision: 'masked' } });
    expect(byDecision.auditEvents.events.map((e) => e.id)).toEqual([events[2]!.eventId]);
    const byRule = await admin<Page>(QUERY, { f: { ruleId: events[0]!.ruleId } });
    expect(byRule.auditEvents.events.map((e) => e.id)).toEqual([events[0]!.eventId]);
    const future = await admin<Page>(QUERY, {
      f: { sessionId: session, from: new Date(Date.now() + 60_000).toISOString() },
    });
    expect(future.auditEvents.events).toEqual([]);

    const refused = await cp.admin(QUERY, { f: { kindPrefix: "statement.' OR 1=1" } });
    expect(refused.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
  });
});
