// Load generator for bench/fleet.mjs: many agents in one light process, each with its own
// credential and its own Control stream, speaking the real contract with @grpc/grpc-js (hello,
// heartbeats at the interval the control plane asks for, policy snapshots and deltas applied and
// acked). Agents share a few channels (HTTP/2 connections) to keep this process light. A stream
// that ends reconnects on the agent's real backoff schedule (apps/agent/dist/control/backoff.js).
// Driven over IPC by bench/fleet.mjs; not meant to be run alone.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
// @grpc/grpc-js as the agent resolves it (the root package does not depend on it).
const { Metadata, credentials } = createRequire(join(ROOT, 'apps/agent/package.json'))('@grpc/grpc-js');
const { agentV1, applyPolicyUpdate, GRPC_CHANNEL_OPTIONS } = await import(join(ROOT, 'libs/proto/dist/index.js'));
const { Backoff } = await import(join(ROOT, 'apps/agent/dist/control/backoff.js'));

const AGENTS_PER_CHANNEL = 50;
const OK_END_CODES = new Set([1, 14]); // CANCELLED (our own), UNAVAILABLE (control plane restarting)

let address = '';
const clients = [];
const agents = [];
const errors = [];
let reconnectAttempts = 0;

function client(index) {
  const shard = Math.floor(index / AGENTS_PER_CHANNEL);
  // A distinct channel option per shard gives each shard its own HTTP/2 connection.
  clients[shard] ??= new (agentV1().Control)(address, credentials.createInsecure(), {
    ...GRPC_CHANNEL_OPTIONS,
    'postern.bench_shard': shard,
  });
  return clients[shard];
}

class BenchAgent {
  constructor(index, spec) {
    this.index = index;
    this.name = spec.name;
    this.token = spec.token;
    this.credential = null;
    this.instanceId = randomUUID();
    this.policy = null;
    this.welcomed = false;
    this.stream = null;
    this.heartbeat = undefined;
    this.seq = 0;
    this.backoff = new Backoff(500, 30_000);
    this.policyArrivals = new Map(); // version -> { at, kind }
  }

  enroll() {
    return new Promise((resolve) => {
      client(this.index).Enroll(
        { enrollmentToken: this.token, agentVersion: 'bench-1', hostname: this.name },
        { deadline: Date.now() + 60_000 },
        (error, response) => {
          if (error) errors.push({ agent: this.name, phase: 'enroll', code: error.code, details: error.details });
          else this.credential = response.credential;
          resolve();
        },
      );
    });
  }

  connect() {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${this.credential}`);
    const stream = client(this.index).Connect(metadata);
    this.stream = stream;
    let ended = false;
    const end = (code, details) => {
      if (ended) return;
      ended = true;
      clearInterval(this.heartbeat);
      this.welcomed = false;
      this.stream = null;
      if (!OK_END_CODES.has(code)) errors.push({ agent: this.name, phase: 'stream', code, details });
      if (stopping) return;
      reconnectAttempts += 1;
      setTimeout(() => this.connect(), this.backoff.next());
    };
    stream.on('data', (message) => this.onMessage(stream, message));
    stream.on('error', (error) => end(error.code, error.details));
    stream.on('status', (status) => end(status.code, status.details));
    stream.on('end', () => end(14, 'ended'));
    stream.write({
      hello: {
        agentVersion: 'bench-1',
        hostname: this.name,
        capabilities: ['postgres'],
        policyVersion: this.policy?.version ?? '0',
        instanceId: this.instanceId,
      },
    });
  }

  onMessage(stream, message) {
    switch (message.body) {
      case 'welcome': {
        this.welcomed = true;
        this.welcomedAt = Date.now();
        this.backoff.reset();
        const interval = message.welcome.heartbeatIntervalMs;
        clearInterval(this.heartbeat);
        this.heartbeat = setInterval(() => {
          this.seq += 1;
          stream.write({
            heartbeat: {
              seq: String(this.seq),
              sentAt: { unixMs: String(Date.now()) },
              activeSessions: 0,
              policyVersion: this.policy?.version ?? '0',
            },
          });
        }, interval);
        return;
      }
      case 'policySnapshot':
        this.policy = message.policySnapshot;
        this.arrived(this.policy.version, 'snapshot');
        stream.write({ policyAck: { version: this.policy.version, applied: true, error: '' } });
        return;
      case 'policyUpdate': {
        const update = message.policyUpdate;
        try {
          this.policy = applyPolicyUpdate(this.policy, update);
        } catch (error) {
          stream.write({ policyAck: { version: update.version, applied: false, error: error.message } });
          return;
        }
        this.arrived(update.version, 'delta');
        stream.write({ policyAck: { version: update.version, applied: true, error: '' } });
        return;
      }
      default:
    }
  }

  arrived(version, kind) {
    if (!this.policyArrivals.has(version)) this.policyArrivals.set(version, { at: Date.now(), kind });
  }
}

let stopping = false;

async function pool(items, width, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

function stats(version) {
  const welcomed = agents.filter((a) => a.welcomed);
  const arrivals = version ? agents.map((a) => a.policyArrivals.get(version)).filter(Boolean) : [];
  return {
    agents: agents.length,
    welcomed: welcomed.length,
    lastWelcomeAt: Math.max(0, ...welcomed.map((a) => a.welcomedAt)),
    withPolicy: agents.filter((a) => a.policy).length,
    reconnectAttempts,
    errors: errors.length,
    errorSamples: errors.slice(0, 5),
    version: version ?? null,
    arrived: arrivals.length,
    lastArrivalAt: Math.max(0, ...arrivals.map((a) => a.at)),
    deltas: arrivals.filter((a) => a.kind === 'delta').length,
    snapshots: arrivals.filter((a) => a.kind === 'snapshot').length,
    rssBytes: process.memoryUsage().rss,
    snapshotBytes: agents[0]?.policy ? Buffer.byteLength(JSON.stringify(agents[0].policy)) : 0,
  };
}

process.on('message', async (message) => {
  try {
    if (message.cmd === 'init') {
      address = message.address;
      message.agents.forEach((spec, i) => agents.push(new BenchAgent(i, spec)));
      process.send({ id: message.id, ok: true });
    } else if (message.cmd === 'enroll') {
      await pool(agents, 50, (a) => a.enroll());
      process.send({ id: message.id, ok: true, enrolled: agents.filter((a) => a.credential).length, errors });
    } else if (message.cmd === 'connect') {
      for (const agent of agents) agent.connect();
      process.send({ id: message.id, ok: true });
    } else if (message.cmd === 'stats') {
      process.send({ id: message.id, ok: true, stats: stats(message.version) });
    } else if (message.cmd === 'stop') {
      stopping = true;
      for (const agent of agents) {
        clearInterval(agent.heartbeat);
        agent.stream?.cancel();
      }
      for (const c of clients) c?.close();
      process.send({ id: message.id, ok: true });
      setTimeout(() => process.exit(0), 100);
    }
  } catch (error) {
    process.send({ id: message.id, ok: false, error: String(error?.stack ?? error) });
  }
});
