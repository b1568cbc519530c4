// Test harness for the SSH engine: a private OpenSSH server (sshd on a port the OS picked, its
// own host key, the current user logging in with a key made here) as the target, and a
// net.Server whose connections go straight to `engine.serve` with a test EngineContext, as
// postgres-harness.ts does for PostgreSQL. Clients are the real OpenSSH `ssh`/`scp`, given the
// Postern credential by `sshpass`.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@postern/logging';
import { compileCommandPolicy, type ApprovalRuleInput, type StatementRuleInput } from '@postern/policy';
import { shellAnalyser } from '@postern/policy-ssh';
import {
  SessionAbortError,
  type ApprovalOutcome,
  type AuthenticationResult,
  type PolicyAuditEvent,
  type Principal,
  type ResolvedConnection,
  type SessionSummary,
} from '../src/engines/engine.js';
import {
  generateHostKey,
  parseHostKey,
  SshEngine,
  type SshContext,
  type SshEngineOptions,
} from '../src/engines/ssh/index.js';

export const ALICE = { login: 'alice@example.com', password: 'postern_conn_alice_test_credential' };

/** A private sshd the tests own: started on a free port, stopped (and its files removed) at the end. */
export class PrivateSshd {
  readonly user = userInfo().username;
  private constructor(
    readonly dir: string,
    readonly port: number,
    /** `SHA256:…` of its host key, as `ssh-keygen -l` prints it. */
    readonly fingerprint: string,
    /** The private key (OpenSSH format) the target connection logs in with. */
    readonly clientKey: string,
    private readonly process: ChildProcess,
  ) {}

  static async start(): Promise<PrivateSshd> {
    const dir = mkdtempSync(join(tmpdir(), 'postern-sshd-'));
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
    const fingerprint = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_key.pub')])).split(
      ' ',
    )[1]!;
    const port = await freePort();
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_key')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'AllowTcpForwarding yes',
        'Subsystem sftp internal-sftp',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<never>((_resolve, reject) =>
      child.once('exit', (code) => reject(new Error(`sshd exited (${code}): ${stderr}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPort(port), exited]);
    return new PrivateSshd(dir, port, fingerprint, readFileSync(join(dir, 'client_key'), 'utf8'), child);
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null) {
      const exited = new Promise((resolve) => this.process.once('exit', resolve));
      this.process.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface ConnectionSpec {
  host: string;
  port: number;
  user: string;
  secret: string;
  hostKeyFingerprint: string;
  forwardDestinations?: string;
}

export interface SshTestPolicy {
  guardrails?: StatementRuleInput[];
  approvals?: ApprovalRuleInput[];
}

export interface HeldCommand {
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

/** The SSH engine behind a local listener, with a test context (one principal: alice). */
export class SshGateway {
  readonly sessions: SessionRecord[] = [];
  readonly audits: PolicyAuditEvent[] = [];
  readonly held: HeldCommand[] = [];
  readonly logLines: string[] = [];
  readonly recorded = new Map<string, { type: string; event: Record<string, unknown> }[]>();
  readonly engine: SshEngine;
  private policy: ReturnType<typeof compileCommandPolicy>;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  /** Public keys (SSH wire blobs) registered to alice. */
  readonly aliceKeys: Buffer[] = [];
  /** The operations of the rules admitting alice, one list per rule ([[]]: a rule naming none, all allowed). */
  operations: string[][] = [[]];

  /** Serve each socket as a plain Duplex, as relayed sessions arrive (not a net.Socket). */
  wrapInDuplex = false;

  private constructor(
    private readonly connections: Record<string, ConnectionSpec>,
    policy: SshTestPolicy,
    engine: Partial<SshEngineOptions>,
  ) {
    const hostKey = parseHostKey(generateHostKey());
    this.engine = new SshEngine({ hostKey, ...engine });
    this.policy = compileCommandPolicy(shellAnalyser(), policy.guardrails ?? [], policy.approvals ?? []);
    this.server = createServer((socket) => this.accept(socket));
  }

  static async start(
    connections: Record<string, ConnectionSpec>,
    policy: SshTestPolicy = {},
    engine: Partial<SshEngineOptions> = {},
  ): Promise<SshGateway> {
    const gateway = new SshGateway(connections, policy, engine);
    await new Promise<void>((resolve) => gateway.server.listen(0, '127.0.0.1', resolve));
    return gateway;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  events(type: string): Record<string, unknown>[] {
    return [...this.recorded.values()]
      .flat()
      .filter((e) => e.type === type)
      .map((e) => e.event);
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
    const record: SessionRecord = {
      id: randomUUID(),
      controller: new AbortController(),
      opened: [],
      closed: [],
      done: Promise.resolve(),
    };
    this.sessions.push(record);
    const client = this.wrapInDuplex ? new SocketDuplex(socket) : socket;
    record.done = this.engine.serve(client, this.context(record, socket));
  }

  private context(record: SessionRecord, socket: Socket): SshContext {
    const logger = createLogger({
      name: 'agent-test',
      level: 'debug',
      destination: { write: (line: string) => void this.logLines.push(line) },
      base: { sessionId: record.id },
    });
    return {
      sessionId: record.id,
      ingress: 'local',
      clientAddress: `${socket.remoteAddress}:${socket.remotePort}`,
      logger,
      clientTls: null,
      signal: record.controller.signal,
      resolveConnection: (name, protocol) => {
        const spec = Object.hasOwn(this.connections, name) ? this.connections[name] : undefined;
        if (spec === undefined || protocol !== 'ssh') return null;
        return {
          id: `conn-${name}`,
          name,
          protocol,
          target: {
            host: spec.host,
            port: spec.port,
            user: spec.user,
            secretRef: `test:${name}`,
            tls: { mode: 'disable', caRef: null },
            settings: {
              hostKeyFingerprint: spec.hostKeyFingerprint,
              ...(spec.forwardDestinations === undefined ? {} : { forwardDestinations: spec.forwardDestinations }),
            },
          },
          recordingMode: 'strict',
        };
      },
      authenticate: async (_connection, user, password) =>
        typeof password === 'string'
          ? testAuthenticate(user, password)
          : this.aliceKeys.some((key) => key.equals(password.publicKey))
            ? testAuthenticate(user, ALICE.password)
            : { ok: false, reason: 'invalid_credential', message: 'unknown key' },
      knowsPublicKey: (_connection, user, publicKey) =>
        user === ALICE.login && this.aliceKeys.some((key) => key.equals(publicKey)),
      operations: () => this.operations,
      resolveSecret: async (ref) => {
        const spec = this.connections[ref.slice('test:'.length)];
        if (spec === undefined) throw new Error(`no secret ${ref}`);
        return spec.secret;
      },
      dialTarget: async (host) => host,
      revealPassword: () => undefined,
      policy: () => {
        const connectionId = record.opened[0]?.connection.id ?? '';
        const groups = record.opened[0]?.principal.groups ?? [];
        return { version: '1', statements: this.policy.forSession(connectionId, groups) };
      },
      requestApproval: ({ rule, command }) => {
        const reviewId = randomUUID();
        let settle!: (outcome: ApprovalOutcome) => void;
        const outcome = new Promise<ApprovalOutcome>((resolve) => (settle = resolve));
        this.held.push({ reviewId, ruleId: rule.id, command, decide: settle });
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
    };
  }
}

function testAuthenticate(user: string, password: string): AuthenticationResult {
  if (password !== ALICE.password) return { ok: false, reason: 'invalid_credential', message: 'unknown credential' };
  if (user !== ALICE.login)
    return { ok: false, reason: 'user_mismatch', message: 'not alice', loginNames: [ALICE.login] };
  return { ok: true, principal: { id: 'user-alice', kind: 'user', displayName: 'Alice', groups: ['dev'] } };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** OpenSSH client options for the gateway: no known_hosts, password authentication only. */
export function sshOptions(port: number): string[] {
  return [
    '-F',
    '/dev/null',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'PreferredAuthentications=password',
    '-o',
    'PubkeyAuthentication=no',
    '-o',
    'NumberOfPasswordPrompts=1',
    '-o',
    `Port=${port}`,
  ];
}

/** Runs `program` (ssh, scp) under sshpass with `password`; resolves with its exit code and output. */
export function runWithPassword(
  program: string,
  args: string[],
  options: {
    password?: string;
    input?: string;
    timeoutMs?: number;
    onSpawn?: (child: ChildProcess) => void;
    /** sshpass waits for a prompt containing this (default "assword"). */
    prompt?: string;
  } = {},
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      'sshpass',
      [
        '-p',
        options.password ?? ALICE.password,
        ...(options.prompt === undefined ? [] : ['-P', options.prompt]),
        program,
        ...args,
      ],
      {
        env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC', HOME: tmpdir() },
        maxBuffer: 64 * 1024 * 1024,
        timeout: options.timeoutMs ?? 30_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
    options.onSpawn?.(child);
    child.stdin?.end(options.input ?? '');
  });
}

/** `ssh <login>@127.0.0.1 <command>` through the gateway. */
export function ssh(
  port: number,
  login: string,
  command: string[],
  options: Parameters<typeof runWithPassword>[2] & { extra?: string[] } = {},
): Promise<CommandResult> {
  return runWithPassword(
    'ssh',
    [...(options.extra ?? []), ...sshOptions(port), '-l', login, '127.0.0.1', ...command],
    options,
  );
}

/** Resolves once `predicate` holds, checking after every event loop turn (bounded). */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function run(program: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(program, args, (error, stdout, stderr) =>
      error ? reject(new Error(`${program}: ${stderr}`)) : resolve(stdout),
    ),
  );
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A Duplex over a socket that is not a net.Socket itself, like a relayed tunnel. */
class SocketDuplex extends Duplex {
  constructor(private readonly socket: Socket) {
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
