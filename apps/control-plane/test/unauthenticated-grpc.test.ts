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
  details: { reason?: string; peer?: string; count?: number; byReason?: string };
}

const refusalRows = () =>
  queryDatabase<Row>(
    database.url,
    `SELECT kind, details FROM audit_events
      WHERE kind IN ('agent.enrollment_refused', 'agent.connect_refused', 'agent.refusals_aggregated') ORDER BY seq`,
  );

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

  const rows = await waitFor(
    async () => {
      const found = await refusalRows();
      return found.some((r) => r.kind === 'agent.refusals_aggregated') && found;
    },
    { what: 'the aggregated refusals row' },
  );
  expect(rows).toHaveLength(2);
  expect(rows[0]).toMatchObject({ kind: 'agent.enrollment_refused', details: { reason: 'malformed token' } });
  expect(rows[1]).toMatchObject({
    kind: 'agent.refusals_aggregated',
    details: { peer: '127.0.0.1', count: FLOOD - 1 },
  });
  expect(rows[1]!.details.byReason).toMatch(/Enroll: rate limited=\d+/);

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

  const rows = await waitFor(
    async () => {
      const found = await queryDatabase<Row>(
        database.url,
        `SELECT kind, details FROM audit_events
          WHERE kind IN ('agent.relay_data_refused', 'agent.refusals_aggregated') AND details->>'peer' LIKE $1
          ORDER BY seq`,
        [`${peer}%`],
      );
      return found.some((r) => r.kind === 'agent.refusals_aggregated') && found;
    },
    { what: "the data port's aggregated refusals row" },
  );
  expect(rows).toHaveLength(2);
  expect(rows[0]).toMatchObject({
    kind: 'agent.relay_data_refused',
    details: { reason: 'relay data hello is not JSON' },
  });
  expect(rows[1]).toMatchObject({ kind: 'agent.refusals_aggregated', details: { peer, count: attempts - 1 } });
  // Past the burst, connections are closed before their opening is read.
  const byReason = rows[1]!.details.byReason ?? '';
  const read = Number(/RelayData: relay data hello is not JSON=(\d+)/.exec(byReason)?.[1] ?? 0);
  const turnedAway = Number(/RelayData: rate limited=(\d+)/.exec(byReason)?.[1] ?? 0);
  expect(read).toBeLessThanOrEqual(BURST);
  expect(turnedAway).toBeGreaterThanOrEqual(attempts - BURST - 1);
});
