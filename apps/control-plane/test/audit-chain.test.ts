// The tamper-evident audit log against the built control plane: events written through the API
// and by two agents' concurrent batches (one resent) form one hash chain; tampering done directly
// in the database (UPDATE, DELETE, swapped seqs) is named by verifyAuditLog and the verify CLI;
// the JSON Lines export verifies offline, with a canonical form written out here independently of
// the control plane's code; and only auditors and admins may verify or export.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AuditEvent } from '@postern/proto';
import {
  REPO_ROOT,
  createTestDatabase,
  graphql,
  queryDatabase,
  startControlPlane,
  type ControlPlaneHandle,
  type TestDatabase,
} from '@postern/testing';
import { startDevIdp, type DevIdp } from '../../../libs/testing/src/idp/dev-idp.js';
import { accessTokenFor, devIdpEnv } from './support/oidc-login.js';
import { RawAgent } from './support/raw-agent.js';

const run = promisify(execFile);
const VERIFY_CLI = `${REPO_ROOT}apps/control-plane/dist/cli/verify-audit.js`;
const VERIFY = `query($from: String, $to: String) { verifyAuditLog(fromSeq: $from, toSeq: $to) {
  ok checked legacy firstSeq lastSeq headHash firstBadSeq problemCount problems { seq problem detail } } }`;
const GENESIS = Buffer.alloc(32);

interface Exported {
  seq: string;
  id: string;
  at: string;
  actorId: string | null;
  actorKind: string | null;
  kind: string;
  decision: string | null;
  connectionId: string | null;
  sessionId: string | null;
  agentId: string | null;
  ruleId: string | null;
  policyVersion: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

interface Verification {
  ok: boolean;
  checked: number;
  legacy: number;
  lastSeq: string | null;
  headHash: string | null;
  firstBadSeq: string | null;
  problemCount: number;
  problems: Array<{ seq: string; problem: string; detail: string }>;
}

let idp: DevIdp;
let database: TestDatabase;
let cp: ControlPlaneHandle;
let agents: RawAgent[] = [];
let tokens: Record<'alice' | 'bob', string>;
let scratch: string;

// ---------- the chain, written out from docs/operations.md ----------

/** JSON with object keys sorted by code units at every depth, written by hand (not via an object). */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

function canonical(e: Omit<Exported, 'seq' | 'prevHash' | 'hash'>): string {
  const fields = ['id', 'at', 'actorId', 'actorKind', 'kind', 'decision', 'connectionId', 'sessionId', 'agentId'];
  const head = [...fields, 'ruleId', 'policyVersion'].map(
    (f) => `${JSON.stringify(f)}:${JSON.stringify((e as unknown as Record<string, unknown>)[f])}`,
  );
  return `{${head.join(',')},"details":${sortedJson(e.details)}}`;
}

/** Checks every hash and link of consecutive exported events; returns the problems found. */
function verifyOffline(events: Exported[], contiguous: boolean): string[] {
  const problems: string[] = [];
  events.forEach((e, i) => {
    const prev = Buffer.from(e.prevHash, 'hex');
    const hash = createHash('sha256').update(prev).update(canonical(e), 'utf8').digest('hex');
    if (hash !== e.hash) problems.push(`${e.seq} modified`);
    const before = events[i - 1];
    if (contiguous && before) {
      if (BigInt(e.seq) !== BigInt(before.seq) + 1n) problems.push(`${e.seq} gap`);
      if (e.prevHash !== before.hash) problems.push(`${e.seq} link`);
    }
  });
  return problems;
}

/** The stored log in the export's shape, straight from the database. */
async function storedLog(): Promise<Exported[]> {
  const rows = await queryDatabase(
    database.url,
    `SELECT seq::text, id::text, at, actor_id, actor_kind, kind, decision, connection_id::text, session_id::text,
            agent_id::text, rule_id, policy_version::text, details, prev_hash, hash
       FROM audit_events ORDER BY audit_events.seq`,
  );
  return rows.map((r) => ({
    seq: r['seq'] as string,
    id: r['id'] as string,
    at: (r['at'] as Date).toISOString(),
    actorId: r['actor_id'] as string | null,
    actorKind: r['actor_kind'] as string | null,
    kind: r['kind'] as string,
    decision: r['decision'] as string | null,
    connectionId: r['connection_id'] as string | null,
    sessionId: r['session_id'] as string | null,
    agentId: r['agent_id'] as string | null,
    ruleId: r['rule_id'] as string | null,
    policyVersion: r['policy_version'] as string | null,
    details: r['details'] as Record<string, unknown>,
    prevHash: (r['prev_hash'] as Buffer).toString('hex'),
    hash: (r['hash'] as Buffer).toString('hex'),
  }));
}

// ---------- helpers ----------

function agentEvent(i: number, details: Record<string, unknown> = { i }): AuditEvent {
  return {
    eventId: randomUUID(),
    sessionId: '',
    at: { unixMs: String(Date.now() - 1000 + i) },
    kind: 'statement.blocked',
    decision: 'blocked',
    ruleId: '',
    policyVersion: '3',
    detailsJson: JSON.stringify(details),
  };
}

async function verify(as = cp.adminToken, variables: Record<string, unknown> = {}): Promise<Verification> {
  const response = await graphql<{ verifyAuditLog: Verification }>(cp.graphqlUrl, VERIFY, variables, as);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!.verifyAuditLog;
}

async function verifyCli(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [VERIFY_CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', POSTERN_DATABASE_URL: database.url },
    });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

function exportUrl(query = ''): string {
  return `${cp.httpUrl}/audit/export${query}`;
}

async function exported(query = '', token = cp.adminToken): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(exportUrl(query), { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

const lines = (body: string) =>
  body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Exported);

async function admin(query: string, variables: Record<string, unknown> = {}) {
  const response = await cp.admin(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'postern-audit-'));
  [idp, database] = await Promise.all([startDevIdp(), createTestDatabase('postern_audit')]);
  cp = await startControlPlane({
    databaseUrl: database.url,
    env: {
      POSTERN_RELAY_POSTGRES_PORT: 'off',
      ...devIdpEnv(idp),
      POSTERN_ROLE_AUDITOR_GROUPS: 'approvers',
    },
  });
  const [alice, bob] = await Promise.all([accessTokenFor(idp, 'alice'), accessTokenFor(idp, 'bob')]);
  tokens = { alice, bob };
  agents = await Promise.all([RawAgent.start(cp, 'chain-a'), RawAgent.start(cp, 'chain-b')]);
}, 30_000);

afterAll(async () => {
  for (const agent of agents) agent.close();
  await cp?.process.stop();
  await idp?.close();
  await database?.drop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the hash chain', () => {
  test('API writes and two concurrent agent batches (one resent) form one valid chain', async () => {
    const [a, b] = agents as [RawAgent, RawAgent];
    // Key order, nesting, integer-like keys and non-ASCII text must survive jsonb unchanged in hash.
    const odd = { b: 1, a: { z: [1, { y: 'é✓' }], '10': true, '2': null }, n: 1.5e-7 };
    const batchA = Array.from({ length: 40 }, (_, i) => agentEvent(i, i === 0 ? odd : { i }));
    const batchB = Array.from({ length: 40 }, (_, i) => agentEvent(i));
    const before = (await storedLog()).length;
    a.send({ auditEvents: { events: batchA } });
    b.send({ auditEvents: { events: batchB } });
    // A redelivery of part of A's batch, with one new event, races the rest.
    const extra = agentEvent(99);
    a.send({ auditEvents: { events: [...batchA.slice(0, 10), extra] } });
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) =>
        admin(
          'mutation($n: String!) { createGuardrail(input: { name: $n, match: { statementKinds: ["DROP"] } }) { id } }',
          {
            n: `no drops ${i}`,
          },
        ),
      ),
      a.sync(),
      b.sync(),
    ]);

    const log = await storedLog();
    const ids = new Set(log.map((e) => e.id));
    for (const event of [...batchA, ...batchB, extra]) expect(ids.has(event.eventId)).toBe(true);
    expect(log.length - before).toBe(40 + 40 + 1 + 5);
    expect(log.filter((e) => e.kind === 'guardrail.created')).toHaveLength(5);
    expect(log[0]!.prevHash).toBe(GENESIS.toString('hex'));
    expect(verifyOffline(log, true)).toEqual([]);
    expect(log.find((e) => e.id === batchA[0]!.eventId)!.details).toEqual(odd);

    const verdict = await verify();
    expect(verdict).toMatchObject({ ok: true, legacy: 0, problemCount: 0, firstBadSeq: null });
    expect(verdict.checked).toBe(log.length);
    expect(verdict.headHash).toBe(log.at(-1)!.hash);
    // The verification is itself audited, and chained.
    const last = (await storedLog()).at(-1)!;
    expect(last).toMatchObject({ kind: 'audit.verified', decision: 'ok', prevHash: log.at(-1)!.hash });
    expect((await verifyCli([])).code).toBe(0);
  });
});

describe('the JSON Lines export', () => {
  test('streams every event with seq and hashes; the lines verify offline and with the CLI', async () => {
    const response = await exported();
    expect(response.status).toBe(200);
    expect(response.type).toMatch(/^application\/x-ndjson/);
    const events = lines(response.body);
    expect(events.length).toBeGreaterThan(80);
    expect(events[0]!.seq).toBe('1');
    expect(verifyOffline(events, true)).toEqual([]);
    // The export itself was audited after the snapshot it streams.
    const audited = (await storedLog()).filter((e) => e.kind === 'audit.exported');
    expect(audited.at(-1)!.details).toMatchObject({ toSeq: events.at(-1)!.seq, kindPrefix: null });

    const file = join(scratch, 'export.jsonl');
    writeFileSync(file, response.body);
    const cli = await verifyCli(['--file', file]);
    expect(cli).toMatchObject({ code: 0, stdout: expect.stringMatching(/OK \(\d+ events/) });
    // A copy edited after the fact fails, at the edited line's seq.
    const edited = [...events];
    edited[5] = { ...edited[5]!, details: { ...edited[5]!.details, forged: true } };
    writeFileSync(file, edited.map((e) => JSON.stringify(e)).join('\n'));
    const forged = await verifyCli(['--file', file]);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toContain(`seq ${edited[5]!.seq}: modified`);
  });

  test('filters by seq range, time and kind; each line still verifies against its own prevHash', async () => {
    const range = lines((await exported('?fromSeq=3&toSeq=7')).body);
    expect(range.map((e) => e.seq)).toEqual(['3', '4', '5', '6', '7']);
    expect(verifyOffline(range, true)).toEqual([]);
    const guardrails = lines((await exported('?kind=guardrail.')).body);
    expect(guardrails).toHaveLength(5);
    expect(guardrails.every((e) => e.kind === 'guardrail.created')).toBe(true);
    expect(verifyOffline(guardrails, false)).toEqual([]);
    const future = lines(
      (await exported(`?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).body,
    );
    expect(future).toEqual([]);
    const bad = await exported('?fromSeq=abc');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/fromSeq/) },
    });
    expect((await exported('?kind=a&kind=b')).status).toBe(400);
  });
});

describe('tampering in the database', () => {
  test('an UPDATE of one event is named as modified at its seq, by the API and the CLI', async () => {
    const target = (await storedLog()).find((e) => e.kind === 'guardrail.created')!;
    const [original] = await queryDatabase(database.url, 'SELECT details::text AS d FROM audit_events WHERE seq = $1', [
      target.seq,
    ]);
    await queryDatabase(
      database.url,
      `UPDATE audit_events SET details = details || '{"name":"harmless"}' WHERE seq = $1`,
      [target.seq],
    );
    const verdict = await verify();
    expect(verdict).toMatchObject({ ok: false, firstBadSeq: target.seq, problemCount: 1 });
    expect(verdict.problems).toEqual([{ seq: target.seq, problem: 'modified', detail: expect.any(String) }]);
    const cli = await verifyCli([]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`first bad seq ${target.seq}`);
    expect(cli.stdout).toContain(`seq ${target.seq}: modified`);

    await queryDatabase(database.url, 'UPDATE audit_events SET details = $2::jsonb WHERE seq = $1', [
      target.seq,
      original!['d'],
    ]);
    expect((await verify()).ok).toBe(true);
  });

  test('a DELETE of one event is named as deleted at its seq', async () => {
    const log = await storedLog();
    const target = log[10]!;
    const [row] = await queryDatabase(database.url, 'SELECT * FROM audit_events WHERE seq = $1', [target.seq]);
    await queryDatabase(database.url, 'DELETE FROM audit_events WHERE seq = $1', [target.seq]);
    const verdict = await verify();
    expect(verdict).toMatchObject({ ok: false, firstBadSeq: target.seq });
    expect(verdict.problems).toEqual([
      { seq: target.seq, problem: 'deleted', detail: `event ${target.seq} is missing` },
    ]);
    // Verifying only the events after the hole still sees it.
    const later = await verify(cp.adminToken, {
      from: String(BigInt(target.seq) + 1n),
      to: String(BigInt(target.seq) + 3n),
    });
    expect(later.problems).toEqual([{ seq: target.seq, problem: 'deleted', detail: expect.any(String) }]);

    const columns = Object.keys(row!);
    await queryDatabase(
      database.url,
      `INSERT INTO audit_events (${columns.map((c) => `"${c}"`).join(',')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(',')})`,
      columns.map((c) => row![c]),
    );
    expect((await verify()).ok).toBe(true);
  });

  test('two swapped events are named as reordered', async () => {
    const [, , x, y] = await storedLog();
    const swap = async () => {
      await queryDatabase(database.url, 'UPDATE audit_events SET seq = -1 WHERE seq = $1', [x!.seq]);
      await queryDatabase(database.url, 'UPDATE audit_events SET seq = $1 WHERE seq = $2', [x!.seq, y!.seq]);
      await queryDatabase(database.url, 'UPDATE audit_events SET seq = $1 WHERE seq = -1', [y!.seq]);
    };
    await swap();
    const verdict = await verify();
    expect(verdict.firstBadSeq).toBe(x!.seq);
    expect(verdict.problems.map((p) => [p.seq, p.problem])).toEqual([
      [x!.seq, 'reordered'],
      [y!.seq, 'reordered'],
    ]);
    await swap();
    expect((await verify()).ok).toBe(true);
  });

  test('rows without a hash are refused by the database', async () => {
    await expect(
      queryDatabase(
        database.url,
        `INSERT INTO audit_events (seq, id, at, kind) VALUES (999999, gen_random_uuid(), now(), 'forged.event')`,
      ),
    ).rejects.toThrow(/must be chained/);
  });
});

describe('authorization', () => {
  test('auditors verify and export; a plain user and an anonymous caller cannot', async () => {
    expect((await verify(tokens.bob)).ok).toBe(true);
    expect((await exported('?toSeq=3', tokens.bob)).status).toBe(200);

    const refused = await graphql(cp.graphqlUrl, VERIFY, {}, tokens.alice);
    expect(refused.errors?.[0]?.extensions?.['code']).toBe('PERMISSION_DENIED');
    const forbidden = await exported('', tokens.alice);
    expect(forbidden.status).toBe(403);
    expect(JSON.parse(forbidden.body)).toEqual({ error: { code: 'PERMISSION_DENIED', message: expect.any(String) } });
    const anonymous = await fetch(exportUrl());
    expect(anonymous.status).toBe(401);
  });
});
