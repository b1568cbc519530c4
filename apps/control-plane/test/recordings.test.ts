// Session recordings end to end against the built control plane: two agents enrolled through the
// real API and gRPC, sessions reported on real Control streams, chunks shipped on raw
// `Recording.Ship` streams (as the agent's spool does), replay and verification over GraphQL,
// the verify CLI, tampering done directly in the database, and retention.
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { chainHash, chainSeed } from '@postern/contracts';
import { agentV1, type AgentMessage, type ControlMessage__Output, type RecordingAck__Output } from '@postern/proto';
import {
  POSTERN_AUDIENCE,
  REPO_ROOT,
  graphql,
  queryDatabase,
  startStack,
  waitFor,
  type ControlPlaneHandle,
  type DevIdp,
  type TestDatabase,
  type TestStack,
} from '@postern/testing';
import { PrismaClient } from '../src/generated/prisma/client.js';
import type { PrismaService } from '../src/platform/infra/prisma/prisma.service.js';
import { RecordingsRepository } from '../src/recordings/recordings.repository.js';
import type { IncomingChunk } from '../src/recordings/recording.types.js';

const run = promisify(execFile);
const VERIFY_CLI = `${REPO_ROOT}apps/control-plane/dist/cli/verify-recording.js`;
const PAGE = `query($id: ID!, $after: Int, $limit: Int) {
  sessionRecording(sessionId: $id, afterSeq: $after, limit: $limit) {
    events { seq index at type json } nextSeq complete truncated purged } }`;
const VERIFY = `query($id: ID!) { verifySessionRecording(sessionId: $id) {
  ok chunks complete headHash problems { seq problem detail } } }`;

interface Chunk {
  sessionId: string;
  seq: string;
  data: Buffer;
  chainHash: Buffer;
  final: boolean;
  encoding?: string | number;
}
type Event = Record<string, unknown>;

let stack: TestStack;
let idp: DevIdp;
let database: TestDatabase;
let cp: ControlPlaneHandle;
let alpha: TestAgent;
let beta: TestAgent;

// ---------- the contract: chunks chained as @postern/contracts defines (its vectors pin the bytes) ----------

/** A session's recording: one chunk per array of events, the last chunk final. */
function recording(sessionId: string, chunks: Event[][]): Chunk[] {
  let prev = chainSeed(sessionId);
  return chunks.map((events, seq) => {
    const data = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const final = seq === chunks.length - 1;
    prev = chainHash(prev, seq, final, data);
    return { sessionId, seq: String(seq), data, chainHash: prev, final };
  });
}

/** The chunks as agents send them by default: data gzip-compressed, the chain still over the JSON Lines. */
function gzipped(chunks: Chunk[]): Chunk[] {
  return chunks.map((chunk) => ({ ...chunk, data: gzipSync(chunk.data), encoding: 'RECORDING_ENCODING_JSONL_GZIP' }));
}

/** `count` chunks of two statements each, between session.start and session.end. */
function statements(count: number, last: Event = { type: 'session.end' }): Event[][] {
  return Array.from({ length: count }, (_, c) => [
    ...(c === 0 ? [{ at: 1_700_000_000_000, type: 'session.start' }] : []),
    { at: 1_700_000_000_000 + c * 10 + 1, type: 'statement', sql: `select ${c}.1` },
    { at: 1_700_000_000_000 + c * 10 + 2, type: 'statement', sql: `select ${c}.2` },
    ...(c === count - 1 ? [{ at: 1_700_000_000_000 + c * 10 + 3, ...last }] : []),
  ]);
}

// ---------- an agent as the control plane sees it: enrolled credential, Control, Ship ----------

class TestAgent {
  private constructor(
    readonly id: string,
    readonly credential: string,
    readonly connectionId: string,
    private readonly control: grpc.ClientDuplexStream<AgentMessage, ControlMessage__Output>,
  ) {}

  static async enroll(name: string): Promise<TestAgent> {
    const created = await admin<{ createAgent: { agent: { id: string }; enrollment: { token: string } } }>(
      'mutation($name: String!) { createAgent(input: { name: $name }) { agent { id } enrollment { token } } }',
      { name },
    );
    const client = new (agentV1().Control)(cp.grpcAddress, grpc.credentials.createInsecure());
    const enrolled = await new Promise<{ credential: string }>((resolve, reject) =>
      client.Enroll(
        { enrollmentToken: created.createAgent.enrollment.token, agentVersion: 'test', hostname: name },
        (error, response) => (error ? reject(error) : resolve(response!)),
      ),
    );
    const connection = await admin<{ createConnection: { id: string } }>(
      'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
      {
        input: {
          name: `db-${name}`,
          protocol: 'POSTGRES',
          agentId: created.createAgent.agent.id,
          targetHost: '127.0.0.1',
          targetPort: 5432,
          targetDatabase: 'postgres',
          targetUser: 'postgres',
          secretRef: 'env:UNUSED',
          tlsMode: 'disable',
        },
      },
    );
    const control = client.Connect(bearer(enrolled.credential));
    const welcomed = new Promise<void>((resolve) =>
      control.on('data', (message: ControlMessage__Output) => message.body === 'welcome' && resolve()),
    );
    control.on('error', () => undefined);
    control.write({ hello: { agentVersion: 'test', hostname: name, instanceId: randomUUID() } });
    await welcomed;
    return new TestAgent(created.createAgent.agent.id, enrolled.credential, connection.createConnection.id, control);
  }

  /** Reports a session as the agent does after authenticating a client, and waits for the row. */
  async openSession(principalId = randomUUID(), id = randomUUID()): Promise<string> {
    this.reportOpened(id, principalId);
    await waitFor(
      async () => (await queryDatabase(database.url, 'SELECT 1 FROM sessions WHERE id = $1', [id])).length > 0,
      {
        what: `session ${id} stored`,
      },
    );
    return id;
  }

  reportOpened(id: string, principalId: string): void {
    this.control.write({
      sessionOpened: {
        sessionId: id,
        connectionId: this.connectionId,
        principal: { id: principalId, displayName: principalId, kind: 'KIND_USER' },
        clientAddress: '127.0.0.1:50000',
        ingress: 'local',
        startedAt: { unixMs: String(Date.now()) },
        policyVersion: '1',
      },
    });
  }

  reportClosed(id: string, endedAt: Date): void {
    this.control.write({
      sessionClosed: { sessionId: id, endedAt: { unixMs: String(endedAt.getTime()) }, endReason: 'client_closed' },
    });
  }

  ship(credential = this.credential): ShipStream {
    return new ShipStream(credential);
  }

  close(): void {
    this.control.end();
  }
}

/** A raw Recording.Ship call: each send resolves with the ack answering it (acks come in order). */
class ShipStream {
  private readonly call: grpc.ClientDuplexStream<Chunk, RecordingAck__Output>;
  private readonly waiting: Array<(ack: RecordingAck__Output) => void> = [];
  readonly ended: Promise<grpc.StatusObject | Error>;

  constructor(credential: string) {
    const client = new (agentV1().Recording)(cp.grpcAddress, grpc.credentials.createInsecure());
    this.call = client.Ship(bearer(credential));
    this.call.on('data', (ack: RecordingAck__Output) => this.waiting.shift()?.(ack));
    this.ended = new Promise((resolve) => {
      this.call.on('status', resolve);
      this.call.on('error', resolve);
    });
  }

  send(chunk: Chunk): Promise<RecordingAck__Output> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.call.write(chunk);
    });
  }

  async sendAll(chunks: Chunk[]): Promise<RecordingAck__Output[]> {
    return Promise.all(chunks.map((chunk) => this.send(chunk)));
  }

  end(): void {
    this.call.end();
  }
}

function bearer(credential: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${credential}`);
  return metadata;
}

async function admin<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await cp.admin<T>(query, variables);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

async function machineToken(): Promise<string> {
  const { clientId, clientSecret } = idp.clients.machine;
  const response = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: POSTERN_AUDIENCE, scope: 'openid groups' }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

const committed = { committed: true, error: '' };
const refused = (error: string) => ({ committed: false, error });

/** A session of `alpha` with a complete recording of `count` chunks. */
async function recorded(count: number, principalId?: string): Promise<{ id: string; chunks: Chunk[] }> {
  const id = await alpha.openSession(principalId);
  const chunks = recording(id, statements(count));
  const ship = alpha.ship();
  expect((await ship.sendAll(chunks)).every((ack) => ack.committed)).toBe(true);
  ship.end();
  return { id, chunks };
}

async function verifyCli(id: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [VERIFY_CLI, id], {
      env: { PATH: process.env['PATH'] ?? '', POSTERN_DATABASE_URL: database.url },
    });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

beforeAll(async () => {
  stack = await startStack({
    name: 'postern_rec',
    idp: true,
    controlPlane: {
      env: {
        POSTERN_RELAY_POSTGRES_PORT: 'off',
        // The raw Control streams here send no heartbeats.
        POSTERN_AGENT_HEARTBEAT_INTERVAL_MS: '10000',
        POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS: '60000',
        POSTERN_RECORDING_RETENTION_DAYS: '30',
        POSTERN_RECORDING_RETENTION_SWEEP_SECONDS: '1',
      },
    },
  });
  ({ database, cp } = stack);
  idp = stack.idp!;
  [alpha, beta] = await Promise.all([TestAgent.enroll('rec-alpha'), TestAgent.enroll('rec-beta')]);
  // The stack loads the IdP's module graph on demand, inside this hook: room for a loaded machine.
}, 60_000);

afterAll(async () => {
  alpha?.close();
  beta?.close();
  await stack?.stop();
});

describe('shipping chunks', () => {
  test('in-order chunks are committed and acknowledged; the final one completes the recording', async () => {
    const id = await alpha.openSession();
    const chunks = recording(id, statements(3));
    const ship = alpha.ship();
    expect(await ship.sendAll(chunks)).toEqual(chunks.map((c) => ({ sessionId: id, seq: c.seq, ...committed })));
    ship.end();
    const [session] = await queryDatabase(
      database.url,
      `SELECT recording_chunks, recording_bytes::int AS bytes, recording_completed_at IS NOT NULL AS complete,
              recording_truncated FROM sessions WHERE id = $1`,
      [id],
    );
    expect(session).toEqual({
      recording_chunks: 3,
      bytes: chunks.reduce((n, c) => n + c.data.length, 0),
      complete: true,
      recording_truncated: false,
    });
    const stored = await queryDatabase(
      database.url,
      'SELECT seq::int, data, chain_hash, final FROM recording_chunks WHERE session_id = $1 ORDER BY seq',
      [id],
    );
    expect(stored).toEqual(
      chunks.map((c) => ({ seq: Number(c.seq), data: c.data, chain_hash: c.chainHash, final: c.final })),
    );
    expect(
      await queryDatabase(
        database.url,
        `SELECT details FROM audit_events WHERE kind = 'recording.completed' AND session_id = $1`,
        [id],
      ),
    ).toEqual([{ details: { chunks: 3, headHash: chunks[2]!.chainHash.toString('hex'), truncated: false } }]);
  });

  test('a chunk resent (same stream or after a reconnect) is acknowledged again and stored once', async () => {
    const id = await alpha.openSession();
    const [first, second] = recording(id, statements(3));
    const ship = alpha.ship();
    expect(await ship.sendAll([first!, first!, second!])).toMatchObject([committed, committed, committed]);
    ship.end();
    const again = alpha.ship();
    expect(await again.sendAll([first!, second!])).toMatchObject([committed, committed]);
    again.end();
    const rows = await queryDatabase(database.url, 'SELECT seq FROM recording_chunks WHERE session_id = $1', [id]);
    expect(rows).toHaveLength(2);
    const [session] = await queryDatabase(database.url, 'SELECT recording_chunks FROM sessions WHERE id = $1', [id]);
    expect(session).toEqual({ recording_chunks: 2 });
  });

  test('a gap, a broken chain and a conflicting resend are refused, never stored; the mismatch is audited', async () => {
    const id = await alpha.openSession();
    const chunks = recording(id, statements(4));
    const forged = { ...chunks[1]!, data: Buffer.from('{"at":1,"type":"statement","sql":"select innocent"}\n') };
    const other = recording(id, [[{ at: 2, type: 'session.start', note: 'another history' }], []])[0]!;
    const ship = alpha.ship();
    expect(await ship.sendAll([chunks[0]!, chunks[2]!, forged, other, chunks[1]!, chunks[3]!])).toMatchObject([
      committed,
      refused('gap: expected seq 1'),
      refused('chain mismatch'),
      refused('conflict'),
      committed,
      refused('gap: expected seq 2'),
    ]);
    ship.end();
    const stored = await queryDatabase<{ seq: string }>(
      database.url,
      'SELECT seq FROM recording_chunks WHERE session_id = $1 ORDER BY seq',
      [id],
    );
    expect(stored.map((r) => Number(r.seq))).toEqual([0, 1]);
    const audit = await queryDatabase(
      database.url,
      `SELECT actor_id, agent_id, details->>'seq' AS seq FROM audit_events WHERE kind = 'recording.chain_mismatch' AND session_id = $1`,
      [id],
    );
    expect(audit).toEqual([{ actor_id: alpha.id, agent_id: alpha.id, seq: '1' }]);
  });

  test("another agent's session is refused with a warning; an unknown session is retried once reported", async () => {
    const id = await alpha.openSession();
    const [chunk] = recording(id, statements(2));
    const intruder = beta.ship();
    expect(await intruder.send(chunk!)).toMatchObject(refused('not your session'));
    intruder.end();
    await cp.process.waitForLog(
      (l) => l.level === 'warn' && l['sessionId'] === id && l['agentId'] === beta.id,
      5_000,
      'the refusal logged',
    );
    expect(
      await queryDatabase(database.url, 'SELECT 1 FROM recording_chunks WHERE session_id = $1', [id]),
    ).toHaveLength(0);

    // The session report travels on the Control stream and may arrive after the first chunks.
    const late = randomUUID();
    const [early] = recording(late, statements(2));
    const ship = alpha.ship();
    expect(await ship.send(early!)).toMatchObject(refused('unknown session'));
    await alpha.openSession(undefined, late);
    expect(await ship.send(early!)).toMatchObject(committed);
    ship.end();
  });

  test('a bad chunk is answered on its own and the stream carries on; a bad credential ends only its call', async () => {
    const id = await alpha.openSession();
    const [good] = recording(id, statements(2));
    const ship = alpha.ship();
    const notJson = recording(id, [[{ at: 1, type: 'x' }], []])[0]!;
    notJson.data = Buffer.from('this is not json\n');
    expect(
      await ship.sendAll([
        { ...good!, sessionId: 'not-a-uuid' },
        { ...good!, data: Buffer.alloc(4 * 1024 * 1024 + 1, 0x20) },
        { ...good!, chainHash: Buffer.alloc(5) },
        notJson,
        good!,
      ]),
    ).toMatchObject([
      refused('invalid session id'),
      refused('chunk too large (at most 4194304 bytes)'),
      refused('invalid chain hash'),
      refused('invalid data: line 1 is not JSON'),
      committed,
    ]);
    ship.end();
    expect(await ship.ended).toMatchObject({ code: grpc.status.OK });

    const stranger = alpha.ship(`${alpha.credential.slice(0, -4)}AAAA`);
    void stranger.send(good!);
    expect(await stranger.ended).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  });
});

describe('compressed chunks (what agents send by default)', () => {
  test('gzip chunks are checked over their JSON Lines, stored compressed, replayed and verified like plain ones', async () => {
    const id = await alpha.openSession();
    const plain = recording(id, statements(3));
    const ship = alpha.ship();
    expect(await ship.sendAll(gzipped(plain))).toMatchObject([committed, committed, committed]);
    ship.end();

    const rows = await queryDatabase(
      database.url,
      `SELECT seq::int, encoding::text, plain_bytes, data FROM recording_chunks WHERE session_id = $1 ORDER BY seq`,
      [id],
    );
    expect(rows.map((r) => [r['seq'], r['encoding'], r['plain_bytes']])).toEqual(
      plain.map((c, seq) => [seq, 'GZIP', c.data.length]),
    );
    expect(rows.map((r) => (r['data'] as Buffer).subarray(0, 2).toString('hex'))).toEqual(['1f8b', '1f8b', '1f8b']);

    const page = await cp.admin<{
      sessionRecording: { events: Array<{ type: string; json: string }>; complete: boolean };
    }>(PAGE, { id });
    expect(page.data!.sessionRecording.complete).toBe(true);
    expect(page.data!.sessionRecording.events.map((e) => JSON.parse(e.json) as Event)).toEqual(statements(3).flat());
    expect(await verify(id)).toMatchObject({ ok: true, chunks: 3, problems: [] });
    expect((await verifyCli(id)).stdout).toContain(`session ${id}: OK (3 chunks, complete)`);

    // A byte changed inside the compressed data: the chunk no longer decodes to what its hash says.
    await queryDatabase(
      database.url,
      `UPDATE recording_chunks SET data = overlay(data placing '\\x58'::bytea from 15 for 1) WHERE session_id = $1 AND seq = 1`,
      [id],
    );
    expect(await verify(id)).toMatchObject({ ok: false, problems: [{ seq: 1, problem: 'modified' }] });
  });

  test('undecodable, oversized-once-inflated, wrongly chained and unknown encodings are refused', async () => {
    const id = await alpha.openSession();
    const [first] = recording(id, statements(2));
    const ship = alpha.ship();
    const [zipped] = gzipped([first!]);
    expect(
      await ship.sendAll([
        { ...zipped!, data: first!.data },
        // 5 MiB of spaces gzip to about 5 KiB: refused without inflating past the 4 MiB bound.
        { ...zipped!, data: gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x20)) },
        // A hash over the compressed bytes instead of the JSON Lines.
        { ...zipped!, chainHash: recording(id, [[], []])[0]!.chainHash },
        { ...first!, encoding: 7 },
        zipped!,
      ]),
    ).toMatchObject([
      refused('chunk too large or corrupt: data is not valid gzip'),
      refused('chunk too large or corrupt: more than 4194304 bytes once decompressed'),
      refused('chain mismatch'),
      refused('unsupported encoding 7'),
      committed,
    ]);
    ship.end();
  });
});

describe('replay', () => {
  test('pages by chunks return every event in order, then say the recording is complete', async () => {
    const { id, chunks } = await recorded(5);
    const events: Array<{ seq: number; index: number; type: string; json: string; at: string }> = [];
    let after: number | null = null;
    for (let pages = 0; pages < 10; pages += 1) {
      const data: {
        sessionRecording: { events: typeof events; nextSeq: number | null; complete: boolean; truncated: boolean };
      } = await admin(PAGE, { id, after, limit: 2 });
      events.push(...data.sessionRecording.events);
      expect(data.sessionRecording.complete).toBe(true);
      if (data.sessionRecording.nextSeq === null) break;
      after = data.sessionRecording.nextSeq - 1;
    }
    const expected = chunks.flatMap((c) =>
      c.data
        .toString()
        .trimEnd()
        .split('\n')
        .map((json, index) => ({
          seq: Number(c.seq),
          index,
          json,
          type: (JSON.parse(json) as { type: string }).type,
          at: new Date((JSON.parse(json) as { at: number }).at).toISOString(),
        })),
    );
    expect(events).toEqual(expected);
    expect(events.map((e) => e.type)).toEqual(['session.start', ...Array<string>(10).fill('statement'), 'session.end']);
  });

  test('an incomplete recording pages on; a truncated one says so', async () => {
    const id = await alpha.openSession();
    const chunks = recording(id, statements(3, { type: 'session.end', truncated: true }));
    const ship = alpha.ship();
    await ship.sendAll(chunks.slice(0, 2));
    let page = (await admin<{ sessionRecording: { nextSeq: number; complete: boolean } }>(PAGE, { id }))
      .sessionRecording;
    expect(page).toMatchObject({ nextSeq: 2, complete: false });
    await ship.send(chunks[2]!);
    ship.end();
    page = (await admin<{ sessionRecording: { nextSeq: number; complete: boolean } }>(PAGE, { id, after: 1 }))
      .sessionRecording;
    expect(page).toMatchObject({ nextSeq: null, complete: true, truncated: true });
  });
});

describe('verification', () => {
  test('an intact recording verifies, over GraphQL and with the CLI', async () => {
    const { id, chunks } = await recorded(5);
    expect(await verify(id)).toMatchObject({ ok: true, chunks: 5, problems: [] });
    const cli = await verifyCli(id);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`session ${id}: OK (5 chunks, complete)`);
    expect(cli.stdout).toContain(chunks[4]!.chainHash.toString('hex'));
  });

  test('a modified byte, a deleted chunk and two swapped chunks are each found and named by seq', async () => {
    const [modified, deleted, swapped] = await Promise.all([recorded(5), recorded(5), recorded(5)]);
    await queryDatabase(
      database.url,
      `UPDATE recording_chunks SET data = overlay(data placing '\\x58'::bytea from 20 for 1) WHERE session_id = $1 AND seq = 2`,
      [modified.id],
    );
    await queryDatabase(database.url, 'DELETE FROM recording_chunks WHERE session_id = $1 AND seq = 3', [deleted.id]);
    for (const [from, to] of [
      [1, -1],
      [2, 1],
      [-1, 2],
    ]) {
      await queryDatabase(database.url, 'UPDATE recording_chunks SET seq = $3 WHERE session_id = $1 AND seq = $2', [
        swapped.id,
        from,
        to,
      ]);
    }

    expect(await verify(modified.id)).toMatchObject({
      ok: false,
      problems: [{ seq: 2, problem: 'modified' }],
    });
    expect(await verify(deleted.id)).toMatchObject({
      ok: false,
      chunks: 4,
      problems: [{ seq: 3, problem: 'missing', detail: 'chunk 3 is missing' }],
    });
    expect(await verify(swapped.id)).toMatchObject({
      ok: false,
      problems: [
        { seq: 1, problem: 'reordered', detail: 'chunk stored as seq 1 belongs at seq 2' },
        { seq: 2, problem: 'reordered', detail: 'chunk stored as seq 2 belongs at seq 1' },
      ],
    });

    const cli = await verifyCli(deleted.id);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`session ${deleted.id}: TAMPERED`);
    expect(cli.stdout).toContain('seq 3: missing: chunk 3 is missing');
    expect((await verifyCli(modified.id)).stdout).toMatch(/seq 2: modified/);
  });
});

describe('who may read a recording', () => {
  test('a plain user reads their own sessions’ recordings and no one else’s', async () => {
    const token = await machineToken();
    const own = await recorded(2, 'oidc:ci-runner');
    const others = await recorded(2, randomUUID());
    const mine = await graphql<{ sessionRecording: { events: unknown[] } }>(cp.graphqlUrl, PAGE, { id: own.id }, token);
    expect(mine.errors).toBeUndefined();
    expect(mine.data!.sessionRecording.events).toHaveLength(6);

    for (const query of [PAGE, VERIFY]) {
      const theirs = await graphql(cp.graphqlUrl, query, { id: others.id }, token);
      expect(theirs.data ?? null).toBeNull();
      expect(theirs.errors?.[0]).toMatchObject({
        message: `session ${others.id} not found`,
        extensions: { code: 'NOT_FOUND' },
      });
    }
    const viewed = await queryDatabase(
      database.url,
      `SELECT actor_kind FROM audit_events WHERE kind = 'recording.viewed' AND session_id = $1`,
      [own.id],
    );
    expect(viewed).toEqual([{ actor_kind: 'service' }]);
  });
});

describe('retention', () => {
  test('chunks of sessions ended longer ago than the retention are deleted by the job, and audited', async () => {
    const { id: old } = await recorded(3);
    const { id: recent } = await recorded(3);
    alpha.reportClosed(old, new Date(Date.now() - 40 * 86_400_000));
    alpha.reportClosed(recent, new Date());
    await waitFor(
      async () =>
        (
          await queryDatabase(
            database.url,
            'SELECT 1 FROM sessions WHERE id = $1 AND recording_purged_at IS NOT NULL',
            [old],
          )
        ).length > 0,
      { what: 'the old recording purged', timeoutMs: 10_000 },
    );
    expect(
      await queryDatabase(database.url, 'SELECT 1 FROM recording_chunks WHERE session_id = $1', [old]),
    ).toHaveLength(0);
    expect(
      await queryDatabase(database.url, 'SELECT 1 FROM recording_chunks WHERE session_id = $1', [recent]),
    ).toHaveLength(3);
    const audit = await queryDatabase<{ details: { sessions: number; chunks: number; retentionDays: number } }>(
      database.url,
      `SELECT details FROM audit_events WHERE kind = 'recording.retention_purged'`,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ sessions: 1, chunks: 3, retentionDays: 30 });
    expect((await admin<{ sessionRecording: unknown }>(PAGE, { id: old })).sessionRecording).toEqual({
      events: [],
      nextSeq: null,
      complete: true,
      truncated: false,
      purged: true,
    });
    expect(await verify(old)).toMatchObject({ ok: true, chunks: 0 });
  });
});

describe('storing a chunk (one statement) against retention', () => {
  /** The repository on its own database connection, as the control plane uses it. */
  async function withRepository(use: (repository: RecordingsRepository) => Promise<void>): Promise<void> {
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: database.url, max: 2 }) });
    try {
      await use(new RecordingsRepository(prisma as unknown as PrismaService));
    } finally {
      await prisma.$disconnect();
    }
  }

  const incoming = (chunk: Chunk): IncomingChunk => ({
    sessionId: chunk.sessionId,
    seq: Number(chunk.seq),
    data: chunk.data,
    encoded: chunk.data,
    encoding: 'JSONL',
    chainHash: chunk.chainHash,
    final: chunk.final,
    truncated: false,
  });

  const counters = async (id: string) =>
    (
      await queryDatabase<{ recording_chunks: number; completed: boolean }>(
        database.url,
        'SELECT recording_chunks, recording_completed_at IS NOT NULL AS completed FROM sessions WHERE id = $1',
        [id],
      )
    )[0];

  test('a chunk waiting on a purge in progress is not stored; a resend is answered with the stored hash', async () => {
    const id = await alpha.openSession();
    const chunks = recording(id, statements(2));
    const ship = alpha.ship();
    expect(await ship.send(chunks[0]!)).toMatchObject(committed);
    ship.end();
    await withRepository(async (repository) => {
      // The chunk stored already: counted once, its hash returned.
      expect(await repository.insert(incoming(chunks[0]!), new Date())).toEqual({
        outcome: 'exists',
        chainHash: chunks[0]!.chainHash,
      });
      expect(await counters(id)).toEqual({ recording_chunks: 1, completed: false });
      // Retention marks the session purged and deletes its chunks in one transaction; a chunk
      // arriving meanwhile waits for the session row, then finds it purged.
      const retention = new pg.Client({ connectionString: database.url });
      await retention.connect();
      try {
        await retention.query('BEGIN');
        await retention.query('UPDATE sessions SET recording_purged_at = now() WHERE id = $1', [id]);
        const racing = repository.insert(incoming(chunks[1]!), new Date());
        await waitFor(
          async () =>
            (
              await queryDatabase(
                database.url,
                `SELECT 1 FROM pg_stat_activity
                  WHERE datname = current_database() AND wait_event_type = 'Lock'
                    AND query LIKE '%INSERT INTO recording_chunks%'`,
              )
            ).length > 0,
          { what: 'the chunk waiting for the session row' },
        );
        await retention.query('DELETE FROM recording_chunks WHERE session_id = $1', [id]);
        await retention.query('COMMIT');
        expect(await racing).toEqual({ outcome: 'purged' });
      } finally {
        await retention.end();
      }
      expect(await queryDatabase(database.url, 'SELECT seq FROM recording_chunks WHERE session_id = $1', [id])).toEqual(
        [],
      );
      expect(await counters(id)).toEqual({ recording_chunks: 1, completed: false });
    });
  });

  test('a final chunk completes the recording and is counted once', async () => {
    const id = await alpha.openSession();
    const [only] = recording(id, statements(1));
    await withRepository(async (repository) => {
      expect(await repository.insert(incoming(only!), new Date())).toEqual({ outcome: 'inserted' });
      expect(await repository.insert(incoming(only!), new Date())).toMatchObject({ outcome: 'exists' });
    });
    expect(await counters(id)).toEqual({ recording_chunks: 1, completed: true });
  });
});

describe('shutdown', () => {
  test('an open Ship stream is ended with UNAVAILABLE (the agent reconnects elsewhere) and the process exits 0', async () => {
    const id = await alpha.openSession();
    const ship = alpha.ship();
    expect(await ship.send(recording(id, statements(2))[0]!)).toMatchObject(committed);
    expect((await cp.process.stop('SIGTERM')).code).toBe(0);
    expect(await ship.ended).toMatchObject({ code: grpc.status.UNAVAILABLE });
  });
});

interface Verdict {
  ok: boolean;
  chunks: number;
  problems: Array<{ seq: number; problem: string; detail: string }>;
}

async function verify(id: string): Promise<Verdict> {
  return (await admin<{ verifySessionRecording: Verdict }>(VERIFY, { id })).verifySessionRecording;
}
