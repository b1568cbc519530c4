// Test harness for the MySQL engine: a net.Server whose connections go straight to
// `engine.serve` with a test EngineContext (as postgres-harness.ts does for PostgreSQL), a
// private database and target users on the machine's MariaDB, and the real clients.
import { MARIADB, runMariadbCli, type MariadbRun } from '@postern/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { connect as netConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import { createLogger } from '@postern/logging';
import type { ApprovalRuleInput, MaskingRuleInput, StatementRuleInput } from '@postern/policy';
import { initSqlParser } from '@postern/policy-mysql';
import mysql from 'mysql2/promise';
import { Capability, encodeHandshakeResponse41, packet, PacketReader, type Message } from '@postern/wire-mysql';
import {
  SessionAbortError,
  type ApprovalOutcome,
  type AuthenticationResult,
  type PolicyAuditEvent,
  type Principal,
  type ResolvedConnection,
  type SessionPolicy,
  type SessionSummary,
} from '../src/engines/engine.js';
import {
  compileMysqlPolicy,
  MysqlEngine,
  type MysqlContext,
  type MysqlEngineOptions,
  type MysqlSessionRules,
} from '../src/engines/mysql/index.js';
import type { AgentReach } from '../src/reach/agent-reach.js';

export const ALICE = { user: 'alice', password: 'postern_conn_alice-token-0f9c' };
export const NO_ACCESS = { user: 'mallory', password: 'mallory-token-77aa' };
export const MASKING_KEY = Buffer.from('test-masking-key-0123456789abcdef');

export { MARIADB };

export interface TargetSpec {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  tlsMode: ResolvedConnection['target']['tls']['mode'];
  /** PEM CA the connection names (tlsCaRef); absent: Node's roots. */
  ca?: string;
  /** With `reach`: the reference the connection names (resolved by the agent's own resolver). */
  secretRef?: string;
}

export interface TestPolicy {
  guardrails?: StatementRuleInput[];
  approvals?: ApprovalRuleInput[];
  masking?: MaskingRuleInput[];
}

export interface HeldStatement {
  reviewId: string;
  ruleId: string;
  command: string;
  decide(outcome: ApprovalOutcome): void;
}

export interface SessionRecord {
  id: string;
  controller: AbortController;
  opened: { principal: Principal; connection: ResolvedConnection }[];
  closed: SessionSummary[];
  done: Promise<void>;
}

export interface GatewayOptions {
  connections: Record<string, TargetSpec>;
  engine?: MysqlEngineOptions;
  clientTls?: SecureContext | null;
  policy?: TestPolicy;
  /** The agent's allow-list refuses every cleartext (or RSA-wrapped, unpinned-key) password. */
  refusePlainPasswords?: boolean;
  /** The agent's allow-lists and resolver, as the session manager applies them; absent: everything allowed. */
  reach?: AgentReach;
}

export class MysqlTestGateway {
  readonly sessions: SessionRecord[] = [];
  /** Every byte the engine wrote to any client. */
  readonly sentToClients: Buffer[] = [];
  readonly audits: PolicyAuditEvent[] = [];
  readonly held: HeldStatement[] = [];
  readonly recorded = new Map<string, { type: string; event: Record<string, unknown> }[]>();
  readonly logLines: string[] = [];
  readonly engine: MysqlEngine;
  private policyVersion = 1;
  private compiled: ReturnType<typeof compileTestPolicy>;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly heldWaiters: (() => void)[] = [];

  private constructor(private readonly options: GatewayOptions) {
    this.engine = new MysqlEngine(options.engine);
    this.compiled = compileTestPolicy(options.policy ?? {}, this.policyVersion);
    this.server = createServer((socket) => this.accept(socket));
  }

  static async start(options: GatewayOptions): Promise<MysqlTestGateway> {
    await initSqlParser();
    const gateway = new MysqlTestGateway(options);
    await new Promise<void>((resolve) => gateway.server.listen(0, '127.0.0.1', resolve));
    return gateway;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  setPolicy(policy: TestPolicy): void {
    this.policyVersion += 1;
    this.compiled = compileTestPolicy(policy, this.policyVersion);
  }

  /** Resolves with the next statement held for approval (or one already waiting). */
  async nextHeld(count = 1): Promise<HeldStatement> {
    while (this.held.length < count) await new Promise<void>((resolve) => this.heldWaiters.push(resolve));
    return this.held[count - 1]!;
  }

  /** Resolves once `n` sessions have reported their end. */
  async closedCount(n: number): Promise<SessionSummary[]> {
    for (;;) {
      const closed = this.sessions.flatMap((s) => s.closed);
      if (closed.length >= n) return closed;
      await Promise.race(this.sessions.map((s) => s.done));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  sentText(): string {
    return Buffer.concat(this.sentToClients).toString('latin1');
  }

  async stop(): Promise<void> {
    for (const session of this.sessions) session.controller.abort(new SessionAbortError('agent_shutdown'));
    await Promise.all(this.sessions.map((s) => s.done));
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.setNoDelay(true);
    const record: SessionRecord = {
      id: randomUUID(),
      controller: new AbortController(),
      opened: [],
      closed: [],
      done: Promise.resolve(),
    };
    this.sessions.push(record);
    const client = new RecordingDuplex(socket, (bytes) => this.sentToClients.push(bytes));
    record.done = this.engine.serve(client, this.context(record, socket));
  }

  private context(record: SessionRecord, socket: Socket): MysqlContext {
    const logger = createLogger({
      name: 'agent-test',
      level: 'debug',
      destination: { write: (line: string) => void this.logLines.push(line) },
      base: { sessionId: record.id },
    });
    const connections = this.options.connections;
    return {
      sessionId: record.id,
      ingress: 'local',
      clientAddress: `${socket.remoteAddress}:${socket.remotePort}`,
      logger,
      clientTls: this.options.clientTls ?? null,
      signal: record.controller.signal,
      resolveConnection: (name, protocol) => {
        const spec = Object.hasOwn(connections, name) ? connections[name] : undefined;
        if (spec === undefined || protocol !== 'mysql') return null;
        return {
          id: `conn-${name}`,
          name,
          protocol,
          target: {
            host: spec.host,
            port: spec.port,
            user: spec.user,
            secretRef: spec.secretRef ?? `test:${name}`,
            tls: { mode: spec.tlsMode, caRef: spec.ca === undefined ? null : `test-ca:${name}` },
            settings: { database: spec.database },
          },
          recordingMode: 'strict',
        };
      },
      authenticate: async (_connection, user, password) =>
        typeof password === 'string'
          ? testAuthenticate(user, password)
          : { ok: false, reason: 'invalid_credential', message: 'no public keys here' },
      knowsPublicKey: () => false,
      operations: () => [[]],
      resolveSecret: async (ref) => {
        const [kind, name = ''] = ref.split(':');
        const spec = connections[name];
        if (spec === undefined) throw new Error(`no secret ${ref}`);
        return kind === 'test-ca' ? (spec.ca ?? '') : spec.password;
      },
      dialTarget: async (host) => host,
      revealPassword: () => {
        if (this.options.refusePlainPasswords)
          throw new ReachRefusedError('plain_password_not_allowed', 'no plain passwords');
      },
      policy: (): SessionPolicy<MysqlSessionRules> => {
        const connectionId = record.opened[0]?.connection.id ?? '';
        const groups = record.opened[0]?.principal.groups ?? [];
        return { version: this.compiled.version, ...this.compiled.rules.forSession(connectionId, groups) };
      },
      requestApproval: ({ rule, command }) => {
        const reviewId = randomUUID();
        let settle!: (outcome: ApprovalOutcome) => void;
        const outcome = new Promise<ApprovalOutcome>((resolve) => (settle = resolve));
        this.held.push({ reviewId, ruleId: rule.id, command, decide: settle });
        for (const wake of this.heldWaiters.splice(0)) wake();
        return { reviewId, outcome };
      },
      audit: (event) => void this.audits.push(event),
      record: (type, event) => {
        const events = this.recorded.get(record.id) ?? [];
        events.push({ type, event: event as Record<string, unknown> });
        this.recorded.set(record.id, events);
      },
      opened: (principal, connection) => void record.opened.push({ principal, connection }),
      closed: (summary) => void record.closed.push(summary),
      ...(this.options.reach === undefined
        ? {}
        : this.options.reach.forSession({ sessionId: record.id, connection: () => null, principal: () => null })),
    };
  }
}

function compileTestPolicy(policy: TestPolicy, version: number) {
  return {
    version: String(version),
    rules: compileMysqlPolicy(
      { guardrails: policy.guardrails ?? [], approvals: policy.approvals ?? [], masking: policy.masking ?? [] },
      MASKING_KEY,
    ),
  };
}

function testAuthenticate(user: string, password: string): AuthenticationResult {
  if (user === ALICE.user && password === ALICE.password) {
    return { ok: true, principal: { id: 'user-alice', kind: 'user', displayName: 'alice', groups: ['dev'] } };
  }
  if (user === NO_ACCESS.user && password === NO_ACCESS.password) {
    return { ok: false, reason: 'no_access', message: 'no access rule grants this connection' };
  }
  return { ok: false, reason: 'invalid_credential', message: 'unknown credential' };
}

/** A Duplex over the client socket that keeps a copy of every byte the engine sends. */
class RecordingDuplex extends Duplex {
  constructor(
    private readonly socket: Socket,
    private readonly keep: (bytes: Buffer) => void,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.keep(Buffer.from(chunk));
    this.socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

/** A private database and target users on the machine's MariaDB, dropped by `drop()`. */
export class TargetDatabase {
  private constructor(
    readonly name: string,
    readonly native: { user: string; password: string },
    readonly ed25519: { user: string; password: string } | null,
  ) {}

  static async create(): Promise<TargetDatabase> {
    const suffix = randomBytes(4).toString('hex');
    const name = `postern_mysql_${suffix}`;
    const native = { user: `pt_native_${suffix}`, password: `target-Pw-${randomBytes(8).toString('hex')}` };
    const ed = { user: `pt_ed_${suffix}`, password: `target-Ed-${randomBytes(8).toString('hex')}` };
    const root = await rootConnection();
    try {
      await root.query(`CREATE DATABASE ${name}`);
      await root.query(
        `CREATE USER '${native.user}'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('${native.password}')`,
      );
      await root.query(`GRANT ALL ON ${name}.* TO '${native.user}'@'127.0.0.1'`);
      let ed25519: typeof ed | null = ed;
      try {
        await root.query(`INSTALL SONAME 'auth_ed25519'`).catch(() => undefined);
        await root.query(
          `CREATE USER '${ed.user}'@'127.0.0.1' IDENTIFIED VIA ed25519 USING PASSWORD('${ed.password}')`,
        );
        await root.query(`GRANT ALL ON ${name}.* TO '${ed.user}'@'127.0.0.1'`);
      } catch {
        ed25519 = null;
      }
      return new TargetDatabase(name, native, ed25519);
    } finally {
      await root.end();
    }
  }

  /** Runs SQL as root in the database (fixtures). */
  async root(sql: string): Promise<unknown> {
    const root = await rootConnection(this.name);
    try {
      const [rows] = await root.query(sql);
      return rows;
    } finally {
      await root.end();
    }
  }

  async drop(): Promise<void> {
    const root = await rootConnection();
    try {
      await root.query(`DROP DATABASE IF EXISTS ${this.name}`);
      await root.query(`DROP USER IF EXISTS '${this.native.user}'@'127.0.0.1'`);
      if (this.ed25519 !== null) await root.query(`DROP USER IF EXISTS '${this.ed25519.user}'@'127.0.0.1'`);
    } finally {
      await root.end();
    }
  }
}

export function rootConnection(database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({
    ...MARIADB,
    user: 'root',
    multipleStatements: true,
    ...(database === undefined ? {} : { database }),
  });
}

/** A mysql2 connection through the gateway, presenting the Postern credential in clear. */
export function connectThrough(
  port: number,
  connection: string,
  credential = ALICE,
  options: mysql.ConnectionOptions = {},
): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: '127.0.0.1',
    port,
    user: credential.user,
    password: credential.password,
    database: connection,
    enableCleartextPlugin: true,
    ...options,
  });
}

export type CommandResult = MariadbRun;

/** Runs the `mariadb` CLI against the gateway. */
export function runMariadb(
  port: number,
  connection: string,
  sql: string,
  credential = ALICE,
  extra: string[] = [],
): Promise<CommandResult> {
  return runMariadbCli(['-P', String(port), '-u', credential.user, ...extra, connection], sql, credential.password);
}

/** A hand-driven MySQL client for what real clients never do (pipelining, odd commands). */
export class RawMysqlClient {
  readonly messages: Message[] = [];
  closed = false;
  private readonly reader = new PacketReader();

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.reader.parse(chunk, (message) => this.messages.push(message)));
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
  }

  /** Logs in presenting the credential with mysql_clear_password in the handshake response. */
  static async login(port: number, connection: string, credential = ALICE): Promise<RawMysqlClient> {
    const socket = netConnect(port, '127.0.0.1');
    const client = new RawMysqlClient(socket);
    await client.next();
    const flags =
      Capability.PROTOCOL_41 |
      Capability.SECURE_CONNECTION |
      Capability.PLUGIN_AUTH |
      Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA |
      Capability.CONNECT_WITH_DB |
      Capability.DEPRECATE_EOF |
      Capability.MULTI_RESULTS |
      Capability.LONG_PASSWORD;
    const response = encodeHandshakeResponse41({
      capabilityFlags: flags,
      mariaDbCapabilityFlags: 0,
      maxPacketSize: 1 << 24,
      characterSet: 45,
      username: credential.user,
      authResponse: Buffer.from(`${credential.password}\0`),
      database: connection,
      authPluginName: 'mysql_clear_password',
    });
    socket.write(packet(response, 1));
    const ok = await client.next();
    if (ok.payload[0] !== 0) throw new Error(`login failed: ${ok.payload.toString('latin1')}`);
    client.messages.length = 0;
    return client;
  }

  /** Writes several commands in one write (each with sequence id 0). */
  pipeline(...payloads: Buffer[]): void {
    this.socket.write(Buffer.concat(payloads.map((payload) => packet(payload, 0))));
  }

  /** Resolves once `count` messages have arrived in all. */
  async received(count: number, timeoutMs = 10_000): Promise<Message[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      if (this.closed) throw new Error('closed');
      if (Date.now() > deadline) throw new Error(`timed out with ${this.messages.length} of ${count} messages`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.messages.slice(0, count);
  }

  private async next(): Promise<Message> {
    const [message] = await this.received(1);
    this.messages.shift();
    return message!;
  }

  close(): void {
    this.socket.destroy();
  }
}
