// Test harness for the PostgreSQL engine: a net.Server whose connections go straight to
// `engine.serve` with a test EngineContext. The context's resolveConnection / authenticate /
// opened / closed are deliberately simple stand-ins: the real authenticator, session manager and
// ingress listeners are tested in their own suites; here the engine is the system under test.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import { createLogger } from '@postern/logging';
import { type ApprovalRuleInput, type MaskingRuleInput, type StatementRuleInput } from '@postern/policy';
import { compileMaskingPolicy, compileStatementPolicy } from '@postern/policy-postgres';
import { BackendParser, frontend, decodeErrorResponse, type Frame } from '@postern/wire-postgres';
import {
  SessionAbortError,
  type ApprovalOutcome,
  type AuthenticationResult,
  type PolicyAuditEvent,
  type SessionPolicy,
  type Principal,
  type ResolvedConnection,
  type SessionSummary,
} from '../src/engines/engine.js';
import { PostgresEngine, type PostgresEngineOptions } from '../src/engines/postgres/index.js';
import type { PostgresContext, PostgresSessionRules } from '../src/engines/postgres/rules.js';
import type { AgentReach } from '../src/reach/agent-reach.js';

/** Credentials the test authenticator knows (user → password → outcome). */
export const ALICE = { user: 'alice', password: 'alice-token-0f9c' };
export const NO_ACCESS = { user: 'mallory', password: 'mallory-token-77aa' };
export const EXPIRED = { user: 'eve', password: 'eve-token-expired' };

export interface TargetSpec {
  host: string;
  port: number;
  database: string;
  user: string;
  tlsMode: ResolvedConnection['target']['tls']['mode'];
  password: string;
  ca?: string;
  /** With `reach`: the reference the connection names (resolved by the agent's own resolver). */
  secretRef?: string;
}

export interface GatewayOptions {
  connections: Record<string, TargetSpec>;
  engine?: PostgresEngineOptions;
  clientTls?: SecureContext | null;
  /** Serve a plain Duplex over each socket (as relayed sessions arrive) and record what it sends. */
  wrapInDuplex?: boolean;
  /** Statement rules and masking (none by default); `setPolicy` replaces them mid-test. */
  policy?: TestPolicy;
  /** The agent's allow-lists, as the session manager applies them; absent: everything allowed. */
  reach?: AgentReach;
}

export interface TestPolicy {
  guardrails?: StatementRuleInput[];
  approvals?: ApprovalRuleInput[];
  masking?: MaskingRuleInput[];
}

/** A statement held for approval, as the control plane would see it; `decide` answers it. */
export interface HeldStatement {
  reviewId: string;
  ruleId: string;
  command: string;
  decide(outcome: ApprovalOutcome): void;
}

export const MASKING_KEY = Buffer.from('test-masking-key-0123456789abcdef');

export interface SessionRecord {
  id: string;
  controller: AbortController;
  opened: { principal: Principal; connection: ResolvedConnection }[];
  closed: SessionSummary[];
  done: Promise<void>;
}

export class TestGateway {
  readonly sessions: SessionRecord[] = [];
  /** Every byte the engine wrote to a client (only with `wrapInDuplex`). */
  readonly sentToClients: Buffer[] = [];
  readonly logLines: string[] = [];
  readonly audits: PolicyAuditEvent[] = [];
  readonly held: HeldStatement[] = [];
  /** Recording events per session id. */
  readonly recorded = new Map<string, { type: string; event: Record<string, unknown> }[]>();
  readonly engine: PostgresEngine;
  private policyVersion = 1;
  private compiled = compileTestPolicy({}, 1);
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly options: GatewayOptions) {
    this.engine = new PostgresEngine(options.engine);
    this.compiled = compileTestPolicy(options.policy ?? {}, this.policyVersion);
    this.server = createServer((socket) => this.accept(socket));
  }

  static async start(options: GatewayOptions): Promise<TestGateway> {
    const gateway = new TestGateway(options);
    await new Promise<void>((resolve) => gateway.server.listen(0, '127.0.0.1', resolve));
    return gateway;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** A postgresql:// URL naming `connection` as the database. */
  url(connection: string, user = ALICE.user, sslmode = 'disable'): string {
    return `postgresql://${user}@127.0.0.1:${this.port}/${connection}?sslmode=${sslmode}`;
  }

  logs(): string {
    return this.logLines.join('');
  }

  /** Replaces the rules; running sessions apply them from their next statement or result. */
  setPolicy(policy: TestPolicy): void {
    this.policyVersion += 1;
    this.compiled = compileTestPolicy(policy, this.policyVersion);
  }

  closedSummaries(): SessionSummary[] {
    return this.sessions.flatMap((s) => s.closed);
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
    const client = this.options.wrapInDuplex ? new SocketDuplex(socket, (b) => this.sentToClients.push(b)) : socket;
    const record: SessionRecord = {
      id: randomUUID(),
      controller: new AbortController(),
      opened: [],
      closed: [],
      done: Promise.resolve(),
    };
    this.sessions.push(record);
    record.done = this.engine.serve(client, this.context(record, socket));
  }

  /** With `reach`, the agent's own resolver and allow-lists answer, as in the session manager. */
  private reachOf(record: SessionRecord): Partial<PostgresContext> {
    if (this.options.reach === undefined) return {};
    return this.options.reach.forSession({
      sessionId: record.id,
      connection: () => null,
      principal: () => null,
    });
  }

  private context(record: SessionRecord, socket: Socket): PostgresContext {
    const logger = createLogger({
      name: 'agent-test',
      level: 'debug',
      destination: { write: (line: string) => void this.logLines.push(line) },
      base: { sessionId: record.id },
    });
    const connections = this.options.connections;
    return {
      sessionId: record.id,
      ingress: this.options.wrapInDuplex ? 'relay' : 'local',
      clientAddress: `${socket.remoteAddress}:${socket.remotePort}`,
      logger,
      clientTls: this.options.clientTls ?? null,
      signal: record.controller.signal,
      resolveConnection: (name, protocol) => {
        const spec = Object.hasOwn(connections, name) ? connections[name] : undefined;
        if (spec === undefined || protocol !== 'postgres') return null;
        const { ca, secretRef } = spec;
        return {
          id: `conn-${name}`,
          name,
          protocol,
          target: {
            host: spec.host,
            port: spec.port,
            user: spec.user,
            secretRef: secretRef ?? `test:${name}`,
            tls: { mode: spec.tlsMode, caRef: ca === undefined ? null : `test-ca:${name}` },
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
        if (kind === 'test-ca') return spec.ca ?? '';
        return spec.password;
      },
      dialTarget: async (host) => host,
      revealPassword: () => undefined,
      ...this.reachOf(record),
      policy: (): SessionPolicy<PostgresSessionRules> => {
        const { version, statements, masking } = this.compiled;
        const connectionId = record.opened[0]?.connection.id ?? '';
        const groups = record.opened[0]?.principal.groups ?? [];
        return {
          version,
          statements: statements.forSession(connectionId, groups),
          masker: masking.forSession(connectionId, groups),
        };
      },
      requestApproval: ({ rule, command }) => {
        const reviewId = randomUUID();
        let settle!: (outcome: ApprovalOutcome) => void;
        const outcome = new Promise<ApprovalOutcome>((resolve) => (settle = resolve));
        const timer = setTimeout(
          () => settle({ outcome: 'expired', decidedBy: '', comment: 'no decision in time' }),
          rule.timeoutSeconds * 1000,
        );
        outcome.finally(() => clearTimeout(timer)).catch(() => undefined);
        this.held.push({ reviewId, ruleId: rule.id, command, decide: settle });
        return { reviewId, outcome };
      },
      audit: (event) => void this.audits.push(event),
      record: (type, event) => {
        const events = this.recorded.get(record.id) ?? [];
        events.push({ type, event });
        this.recorded.set(record.id, events);
      },
      opened: (principal, connection) => void record.opened.push({ principal, connection }),
      closed: (summary) => void record.closed.push(summary),
    };
  }
}

function compileTestPolicy(policy: TestPolicy, version: number) {
  return {
    version: String(version),
    statements: compileStatementPolicy(policy.guardrails ?? [], policy.approvals ?? []),
    masking: compileMaskingPolicy(policy.masking ?? [], { hashKey: MASKING_KEY }),
  };
}

function testAuthenticate(user: string, password: string): AuthenticationResult {
  const principal = (id: string): Principal => ({ id, kind: 'user', displayName: id, groups: ['dev'] });
  if (user === ALICE.user && password === ALICE.password) return { ok: true, principal: principal('user-alice') };
  if (user === NO_ACCESS.user && password === NO_ACCESS.password) {
    return { ok: false, reason: 'no_access', message: 'no access rule grants this connection' };
  }
  if (user === EXPIRED.user && password === EXPIRED.password) {
    return { ok: false, reason: 'expired_credential', message: 'token expired' };
  }
  return { ok: false, reason: 'invalid_credential', message: 'unknown credential' };
}

/** A Duplex over a socket that is not a net.Socket itself, like a relayed gRPC stream. */
class SocketDuplex extends Duplex {
  constructor(
    private readonly socket: Socket,
    private readonly record: (bytes: Buffer) => void,
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
    this.record(Buffer.from(chunk));
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

/** A TCP relay in front of a target that counts the connections made to it. */
export class CountingRelay {
  connections = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(target: { host: string; port: number }) {
    this.server = createServer((socket) => {
      this.connections++;
      const upstream = connect(target.port, target.host);
      for (const s of [socket, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      socket.pipe(upstream).pipe(socket);
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
    });
  }

  static async start(target: { host: string; port: number }): Promise<CountingRelay> {
    const relay = new CountingRelay(target);
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a PostgreSQL client program (psql, pgbench) with a clean libpq environment. */
export function runClient(
  program: string,
  args: string[],
  options: { password?: string; input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      program,
      args,
      {
        env: {
          PATH: process.env['PATH'] ?? '',
          TZ: 'UTC',
          PGCONNECT_TIMEOUT: '10',
          ...(options.password === undefined ? {} : { PGPASSWORD: options.password }),
          ...options.env,
        },
        maxBuffer: 256 * 1024 * 1024,
        timeout: options.timeoutMs ?? 30_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** A hand-driven protocol client for what real clients never send. */
export class RawClient {
  readonly frames: Frame[] = [];
  closed = false;
  private readonly parser = new BackendParser();

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        this.parser.parse(chunk, (frame) => this.frames.push(frame));
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Startup + password up to ReadyForQuery. */
  static async login(port: number, database: string, credential = ALICE): Promise<RawClient> {
    const client = await RawClient.connect(port);
    client.socket.write(frontend.startupMessage({ user: credential.user, database }));
    await client.waitFor((f) => f.code === 0x52);
    client.socket.write(frontend.passwordMessage(credential.password));
    await client.waitFor((f) => f.code === 0x5a);
    return client;
  }

  async waitFor(predicate: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.find(predicate);
      if (frame !== undefined) return frame;
      if (this.closed) throw new Error('connection closed before the expected message');
      if (Date.now() > deadline) throw new Error('timed out waiting for a message');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The SQLSTATE and message of the first ErrorResponse received. */
  async error(): Promise<{ code: string; message: string }> {
    const fields = decodeErrorResponse(await this.waitFor((f) => f.code === 0x45)).fields;
    return { code: fields['C'] ?? '', message: fields['M'] ?? '' };
  }
}
