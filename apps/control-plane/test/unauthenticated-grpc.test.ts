// Calls on the agents' gRPC port that present no valid token, from a real client against a real
// control plane process: a flood of garbage Enroll calls is refused, rate-limited per peer once
// its budget of refusals is spent, and adds a bounded number of rows to the hash-chained audit log
// (the first refusal of a window at once, the rest summed into one row when the window ends).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { connect } from 'node:net';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { agentV1, type ControlClient } from '@postern/proto';
import {
  createTestDatabase,
  queryDatabase,
  startControlPlane,
  waitFor,
  type ControlPlaneHandle,
  type TestDatabase,
} from '@postern/testing';

const FLOOD = 300;
const BURST = 20;

let database: TestDatabase;
let cp: ControlPlaneHandle;
let client: ControlClient;

beforeAll(async () => {
  database = await createTestDatabase('postern_unauthenticated_grpc');
  cp = await startControlPlane({
    databaseUrl: database.url,
    env: {
      POSTERN_RELAY_POSTGRES_PORT: 'off',
      POSTERN_GRPC_REFUSAL_BURST_PER_ADDRESS: String(BURST),
      // Next to no refill: a busy machine taking seconds between the flood and the Connect below must
      // not hand the peer a fresh token (the budget would then let that call through to a lookup).
      POSTERN_GRPC_REFUSALS_PER_MINUTE_PER_ADDRESS: '0.01',
      POSTERN_GRPC_REFUSAL_AUDIT_WINDOW_MS: '1000',
    },
  });
  client = new (agentV1().Control)(cp.grpcAddress, credentials.createInsecure()) as unknown as ControlClient;
});

afterAll(async () => {
  client?.close();
  await cp?.process.stop();
  await database?.drop();
});

function enroll(token: string): Promise<ServiceError> {
  return new Promise((resolve, reject) =>
    client.Enroll({ enrollmentToken: token, agentVersion: 'x', hostname: 'x' }, (error) =>
      error ? resolve(error) : reject(new Error('a garbage enrollment token was accepted')),
    ),
  );
}

interface Row {
  kind: string;
  details: { reason?: string; peer?: string; method?: string; count?: number; byReason?: string };
}

/**
 * The audit rows of one peer's refusals once all `expected` of them are accounted for: per window,
 * the first alone (`firstKind`) and the rest summed in one `agent.refusals_aggregated` row when the
 * window ends. A flood normally fits in one window (two rows); on a busy machine it can stretch over
 * more, so what is checked is that every refusal is counted, in a handful of rows.
 */
async function accountedRefusals(firstKind: string, peer: string, expected: number) {
  return waitFor(
    async () => {
      const rows = await queryDatabase<Row>(
        database.url,
        `SELECT kind, details FROM audit_events
          WHERE kind IN ($1, 'agent.refusals_aggregated') AND details->>'peer' LIKE '%' || $2 || '%'
          ORDER BY seq`,
        [firstKind, peer],
      );
      const firsts = rows.filter((r) => r.kind === firstKind);
      const aggregated = rows.filter((r) => r.kind === 'agent.refusals_aggregated');
      const total = firsts.length + aggregated.reduce((sum, r) => sum + (r.details.count ?? 0), 0);
      if (total < expected) return undefined;
      // "<method>: <reason>" → refusals, the first of each window included.
      const byReason = new Map<string, number>();
      for (const row of firsts) {
        const key = `${row.details.method ?? ''}: ${row.details.reason ?? ''}`;
        byReason.set(key, (byReason.get(key) ?? 0) + 1);
      }
      for (const row of aggregated) {
        for (const part of (row.details.byReason ?? '').split('; ').filter(Boolean)) {
          const at = part.lastIndexOf('=');
          byReason.set(part.slice(0, at), (byReason.get(part.slice(0, at)) ?? 0) + Number(part.slice(at + 1)));
        }
      }
      return { rows, firsts, aggregated, total, byReason };
    },
    { timeoutMs: 20_000, what: `all ${expected} refusals of ${peer} in the audit log` },
  );
}

/** Opens a data-port connection from `localAddress`, writes `bytes`, resolves once the server closed it. */
function dataConnection(port: number, localAddress: string, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    socket.on('connect', () => socket.write(bytes, () => undefined));
    socket.on('error', () => undefined); // a reset is a close too
    socket.on('close', () => resolve());
    socket.setTimeout(20_000, () => reject(new Error('the data port kept a garbage connection open')));
  });
}

test(`${FLOOD} garbage Enroll calls are refused, rate-limited per peer, and audited in two rows`, async () => {
  const errors = await Promise.all(
    Array.from({ length: FLOOD }, (_, i) => enroll(`postern_enroll_garbage_${i}_${'A'.repeat(43)}`)),
  );
  const codes = errors.map((e) => e.code);
  expect(codes.every((c) => c === status.PERMISSION_DENIED || c === status.RESOURCE_EXHAUSTED)).toBe(true);
  // Past the burst, calls are turned away before any lookup.
  expect(codes.filter((c) => c === status.PERMISSION_DENIED).length).toBeLessThanOrEqual(BURST + 1);
  expect(codes.filter((c) => c === status.RESOURCE_EXHAUSTED).length).toBeGreaterThanOrEqual(FLOOD - BURST - 1);

  const audited = await accountedRefusals('agent.enrollment_refused', '127.0.0.1', FLOOD);
  expect(audited.total).toBe(FLOOD);
  expect(audited.rows[0]).toMatchObject({
    kind: 'agent.enrollment_refused',
    details: { reason: 'malformed token' },
  });
  // At most two rows per window, never one per call.
  expect(audited.rows.length).toBeLessThan(10);
  expect(audited.byReason.get('Enroll: rate limited')).toBeGreaterThan(0);

  // Connect with a bad credential from the same peer: its budget is spent, so it is turned away too.
  const metadata = new Metadata();
  metadata.set('authorization', 'Bearer garbage');
  const refused = await new Promise<ServiceError>((resolve) => {
    const stream = client.Connect(metadata);
    stream.on('error', (error: ServiceError) => resolve(error));
    stream.on('data', () => undefined);
  });
  expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
  // The audit log's chain grew by a handful of rows, not one per call.
  const [{ n }] = await queryDatabase<{ n: number }>(database.url, 'SELECT count(*)::int AS n FROM audit_events');
  expect(n).toBeLessThan(10);
});

test('garbage openings on the relay data port spend the same per-peer budget and are audited in aggregate', async () => {
  const listening = cp.process.logs.find((line) => line.msg === 'relay data port listening');
  const port = Number(listening?.['port']);
  expect(port).toBeGreaterThan(0);
  // Another loopback source address: a peer with a budget of its own.
  const peer = '127.0.0.2';
  const garbage = Buffer.concat([Buffer.from([0, 0, 0, 4]), Buffer.from('nope')]);
  const attempts = 60;
  // One after the other: the budget is spent by refusals, which come once an opening was read, so
  // connections that all arrive before the first refusal would all be read.
  for (let i = 0; i < attempts; i += 1) await dataConnection(port, peer, garbage);

  const audited = await accountedRefusals('agent.relay_data_refused', peer, attempts);
  expect(audited.total).toBe(attempts);
  expect(audited.rows[0]).toMatchObject({
    kind: 'agent.relay_data_refused',
    details: { reason: 'relay data hello is not JSON' },
  });
  expect(audited.rows.length).toBeLessThan(10);
  // Past the burst, connections are closed before their opening is read.
  const read = audited.byReason.get('RelayData: relay data hello is not JSON') ?? 0;
  const turnedAway = audited.byReason.get('RelayData: rate limited') ?? 0;
  expect(read).toBeLessThanOrEqual(BURST);
  expect(turnedAway).toBeGreaterThanOrEqual(attempts - BURST - 1);
});
