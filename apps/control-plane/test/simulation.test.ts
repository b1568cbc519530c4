// Policy simulation against the built control plane: sessions reported on a real Control stream,
// their recordings shipped on the Recording stream as an agent's spool does, then proposed rules
// replayed over a time window through GraphQL — per-rule counts and examples, recorded against
// simulated decisions, the window and connection filters, validation, and admins only.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  createTestDatabase,
  graphql,
  queryDatabase,
  startControlPlane,
  type ControlPlaneHandle,
  type TestDatabase,
} from '@postern/testing';
import { startDevIdp, type DevIdp } from '../../../libs/testing/src/idp/dev-idp.js';
import { accessTokenFor, devIdpEnv } from './support/oidc-login.js';
import { RawAgent, createConnection } from './support/raw-agent.js';
import { recordingChunks, shipRecording } from './support/recording-ship.js';

const HOUR = 3_600_000;
const SIMULATE = `query($input: SimulatePolicyInput!) { simulatePolicy(input: $input) {
  sessions sessionsWithoutRecording sessionsWithoutGroups statements truncated notes
  totals { allowed blocked held invalid }
  changes { recordedBlocked recordedHeld newlyBlocked newlyHeld newlyAllowed }
  guardrails { index name enabled statements sessions examples { sessionId at sql reason recorded } }
  approvalRules { index name statements sessions examples { sessionId sql reason recorded } }
  maskingRules { index name sessions statements examples { sessionId connectionId principal } } } }`;

interface Simulation {
  sessions: number;
  sessionsWithoutRecording: number;
  sessionsWithoutGroups: number;
  statements: number;
  truncated: boolean;
  notes: string[];
  totals: Record<string, number>;
  changes: Record<string, number>;
  guardrails: Array<Record<string, unknown> & { examples: Array<Record<string, unknown>> }>;
  approvalRules: Array<Record<string, unknown> & { examples: Array<Record<string, unknown>> }>;
  maskingRules: Array<Record<string, unknown>>;
}

let idp: DevIdp;
let database: TestDatabase;
let cp: ControlPlaneHandle;
let agent: RawAgent;
let shop: string;
let ledger: string;
const now = Date.now();
const sessions: Record<'shop' | 'ledger' | 'old' | 'bare', string> = {
  shop: randomUUID(),
  ledger: randomUUID(),
  old: randomUUID(),
  bare: randomUUID(),
};

const PROPOSAL = {
  guardrails: [
    { name: 'no drops', match: { statementKinds: ['DROP'] } },
    { name: 'no truncates', match: { statementKinds: ['TRUNCATE'] } },
  ],
  approvalRules: [
    {
      name: 'refund changes',
      approverGroups: ['approvers'],
      match: { statementKinds: ['UPDATE'], relations: ['refunds'] },
    },
  ],
  maskingRules: [
    { name: 'emails', exemptGroups: ['dba'], spec: { columns: ['email'], style: 'redact' } },
    {
      name: 'cards, engineers exempt',
      connectionIds: [] as string[],
      exemptGroups: ['engineers'],
      spec: { detectors: ['payment_card'], style: 'partial' },
    },
  ],
};

function window(from = now - HOUR, to = now + HOUR) {
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

async function simulate(input: Record<string, unknown>, token = cp.adminToken) {
  return graphql<{ simulatePolicy: Simulation }>(cp.graphqlUrl, SIMULATE, { input }, token);
}

async function simulated(input: Record<string, unknown>): Promise<Simulation> {
  const response = await simulate(input);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!.simulatePolicy;
}

/** Reports a session (started at `startedAt`) and ships its recording, of `events` stamped from `startedAt`. */
async function recordSession(
  id: string,
  connectionId: string,
  startedAt: number,
  events: Array<Record<string, unknown>>,
  groups: string[] | null = ['engineers'],
): Promise<void> {
  const principal = {
    id: 'oidc:alice',
    displayName: 'Alice Engineer',
    groups: groups ?? [],
    kind: 'KIND_USER' as const,
  };
  agent.send({
    sessionOpened: {
      sessionId: id,
      connectionId,
      principal,
      clientAddress: '127.0.0.1:50000',
      ingress: 'local',
      startedAt: { unixMs: String(startedAt) },
      policyVersion: '1',
    },
  });
  agent.send({
    sessionClosed: {
      sessionId: id,
      endedAt: { unixMs: String(startedAt + events.length + 10) },
      endReason: 'client_closed',
    },
  });
  await agent.sync();
  const start =
    groups === null
      ? []
      : [
          {
            type: 'session.start',
            sessionId: id,
            connection: { id: connectionId, name: 'x', protocol: 'postgres' },
            principal,
          },
        ];
  const stamped = [...start, ...events, { type: 'session.end' }].map((e, i) => ({ at: startedAt + i, ...e }));
  // Two chunks, to replay across chunk boundaries; the second gzip-compressed, as agents send
  // chunks of 16 KiB and more.
  const middle = Math.ceil(stamped.length / 2);
  const acks = await shipRecording(
    cp.grpcAddress,
    agent.credential,
    recordingChunks(id, [stamped.slice(0, middle), stamped.slice(middle)], { gzip: [1] }),
  );
  expect(acks.every((ack) => ack.committed)).toBe(true);
}

const statement = (sql: string, extra: Record<string, unknown> = {}) => ({
  type: 'statement',
  protocol: 'simple',
  sql,
  durationMs: 1,
  rows: 0,
  tags: [],
  ...extra,
});

beforeAll(async () => {
  [idp, database] = await Promise.all([startDevIdp(), createTestDatabase('postern_sim')]);
  cp = await startControlPlane({
    databaseUrl: database.url,
    env: {
      POSTERN_RELAY_POSTGRES_PORT: 'off',
      ...devIdpEnv(idp),
      POSTERN_ROLE_AUDITOR_GROUPS: 'approvers',
    },
  });
  agent = await RawAgent.start(cp, 'sim-agent');
  [shop, ledger] = [await createConnection(cp, 'shop', agent.id), await createConnection(cp, 'ledger', agent.id)];
  await recordSession(sessions.shop, shop, now - 60_000, [
    statement('DROP TABLE orders'),
    // The policy then in force blocked this one: the proposal would let it through.
    {
      type: 'decision',
      kind: 'statement.blocked',
      decision: 'blocked',
      ruleId: 'r-old',
      sql: 'DELETE FROM orders',
      reason: 'DELETE',
    },
    statement('DELETE FROM orders', { error: 'Postern rule "old" blocked this statement' }),
    statement('SELECT 1', { rows: 1 }),
    statement('UPDATE refunds SET amount = 0 WHERE id = 7', { rows: 1 }),
  ]);
  await recordSession(sessions.ledger, ledger, now - 50_000, [statement('DROP TABLE orders')]);
  await recordSession(sessions.old, shop, now - 3 * HOUR, [
    statement('DROP TABLE customers'),
    statement('UPDATE refunds SET x = 1'),
  ]);
  // No session.start: evaluated without groups (so the engineers' masking exemption does not hold).
  await recordSession(sessions.bare, shop, now - 40_000, [statement('SELECT email FROM customers')], null);
}, 30_000);

afterAll(async () => {
  agent?.close();
  await cp?.process.stop();
  await idp?.close();
  await database?.drop();
});

describe('simulatePolicy', () => {
  test('reports what proposed rules would block and hold on one connection, with examples, against what was done', async () => {
    const result = await simulated({ ...window(), connectionIds: [shop], ...PROPOSAL });
    expect(result).toMatchObject({
      sessions: 2,
      sessionsWithoutRecording: 0,
      sessionsWithoutGroups: 1,
      statements: 5,
      truncated: false,
      totals: { allowed: 3, blocked: 1, held: 1, invalid: 0 },
      changes: { recordedBlocked: 1, recordedHeld: 0, newlyBlocked: 1, newlyHeld: 1, newlyAllowed: 1 },
    });
    expect(result.guardrails).toEqual([
      {
        index: 0,
        name: 'no drops',
        enabled: true,
        statements: 1,
        sessions: 1,
        examples: [
          {
            sessionId: sessions.shop,
            at: new Date(now - 60_000 + 1).toISOString(),
            sql: 'DROP TABLE orders',
            reason: expect.stringMatching(/DROP TABLE/),
            recorded: 'allowed',
          },
        ],
      },
      { index: 1, name: 'no truncates', enabled: true, statements: 0, sessions: 0, examples: [] },
    ]);
    expect(result.approvalRules).toEqual([
      {
        index: 0,
        name: 'refund changes',
        statements: 1,
        sessions: 1,
        examples: [
          {
            sessionId: sessions.shop,
            sql: 'UPDATE refunds SET amount = 0 WHERE id = 7',
            reason: expect.stringMatching(/refunds/),
            recorded: 'allowed',
          },
        ],
      },
    ]);
    expect(result.maskingRules).toEqual([
      {
        index: 0,
        name: 'emails',
        sessions: 2,
        statements: 5,
        examples: [
          { sessionId: sessions.shop, connectionId: shop, principal: 'Alice Engineer' },
          { sessionId: sessions.bare, connectionId: shop, principal: 'Alice Engineer' },
        ],
      },
      {
        index: 1,
        name: 'cards, engineers exempt',
        sessions: 1,
        statements: 1,
        examples: [{ sessionId: sessions.bare, connectionId: shop, principal: 'Alice Engineer' }],
      },
    ]);
    expect(result.notes.join(' ')).toMatch(/Masking rules are not re-evaluated/);

    // The simulation read recordings: it is audited.
    const audited = await queryDatabase(
      database.url,
      `SELECT actor_id, details FROM audit_events WHERE kind = 'policy.simulated'`,
    );
    expect(audited[0]).toMatchObject({ actor_id: 'bootstrap-admin', details: { sessions: 2, statements: 5 } });
  });

  test('sessions outside the window or the connections are ignored', async () => {
    const everywhere = await simulated({ ...window(), guardrails: PROPOSAL.guardrails });
    expect(everywhere).toMatchObject({ sessions: 3, statements: 6, totals: { blocked: 2 } });
    expect(everywhere.guardrails[0]).toMatchObject({ statements: 2, sessions: 2 });

    const earlier = await simulated({ ...window(now - 4 * HOUR, now - 2 * HOUR), ...PROPOSAL });
    expect(earlier).toMatchObject({ sessions: 1, statements: 2, totals: { blocked: 1, held: 1 } });
    expect(earlier.guardrails[0]!.examples).toMatchObject([{ sessionId: sessions.old, sql: 'DROP TABLE customers' }]);

    const empty = await simulated({ ...window(now + 2 * HOUR, now + 3 * HOUR), ...PROPOSAL });
    expect(empty).toMatchObject({
      sessions: 0,
      statements: 0,
      totals: { allowed: 0, blocked: 0, held: 0, invalid: 0 },
    });
  });

  test('limits stop the replay and say so', async () => {
    const limited = await simulated({ ...window(), guardrails: PROPOSAL.guardrails, maxSessions: 1 });
    expect(limited).toMatchObject({ sessions: 1, truncated: true });
    const fewer = await simulated({ ...window(), guardrails: PROPOSAL.guardrails, maxStatements: 2 });
    expect(fewer).toMatchObject({ statements: 2, truncated: true });
  });

  test('proposed rules are validated like the rules API validates them', async () => {
    const bad = await simulate({ ...window(), guardrails: [{ name: 'x', match: { statementKinds: ['FROB'] } }] });
    expect(bad.errors?.[0]).toMatchObject({
      extensions: { code: 'INVALID_ARGUMENT' },
      message: expect.stringMatching(/^guardrails\[0\]\.match\.statementKinds\[0\]/),
    });
    const backwards = await simulate({ ...window(now, now - HOUR) });
    expect(backwards.errors?.[0]?.extensions?.['code']).toBe('INVALID_ARGUMENT');
    const noApprovers = await simulate({
      ...window(),
      approvalRules: [{ name: 'x', approverGroups: [], match: { statementKinds: ['DELETE'] } }],
    });
    expect(noApprovers.errors?.[0]?.message).toMatch(/^approvalRules\[0\]\.approverGroups/);
  });

  test('only admins may simulate (it reads every recording)', async () => {
    const [alice, bob] = await Promise.all([accessTokenFor(idp, 'alice'), accessTokenFor(idp, 'bob')]);
    for (const token of [alice, bob]) {
      const refused = await simulate({ ...window(), ...PROPOSAL }, token);
      expect(refused.errors?.[0]?.extensions?.['code']).toBe('PERMISSION_DENIED');
    }
  });
});
