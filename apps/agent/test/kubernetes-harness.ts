// Test harness for the Kubernetes engine: the stand-in API server of libs/testing (a real
// kube-apiserver cannot run on these machines: no container engine, no API server binary) as the
// target, and a TLS-less net.Server whose connections go straight to `engine.serve` with a test
// EngineContext (TLS is the engine's own, with the ingress certificate made here), as
// ssh-harness.ts does for SSH. The client is the real kubectl 1.32 with a kubeconfig naming the
// agent's CA and a Postern credential as its bearer token.
import { execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { createLogger } from '@postern/logging';
import {
  compileCommandPolicy,
  compileMaskingRules,
  type ApprovalRuleInput,
  type MaskingRuleInput,
  type StatementRuleInput,
} from '@postern/policy';
import { kubernetesAnalyser } from '@postern/policy-kubernetes';
import {
  seedStandIn,
  selfSignedCertificate,
  startStandInApiServer,
  type CertificateFiles,
  type StandInApiServer,
} from '@postern/testing';
import {
  SessionAbortError,
  type ApprovalOutcome,
  type AuthenticationResult,
  type PolicyAuditEvent,
  type Principal,
  type ResolvedConnection,
  type SessionSummary,
} from '../src/engines/engine.js';
import { KubernetesEngine, type KubernetesContext } from '../src/engines/kubernetes/index.js';

export const ALICE = {
  login: 'alice@example.com',
  credential: 'postern_conn_alice_kubernetes_test_credential',
  groups: ['dev', 'oncall'],
};
export const SA_TOKEN = 'stand-in-service-account-token';

export interface KubeTestPolicy {
  guardrails?: StatementRuleInput[];
  approvals?: ApprovalRuleInput[];
  masking?: MaskingRuleInput[];
}

const HASH_KEY = Buffer.alloc(32, 7);

export interface HeldRequest {
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

/** The Kubernetes engine behind a local listener, the stand-in API server behind it. */
export class KubeGateway {
  readonly sessions: SessionRecord[] = [];
  readonly audits: PolicyAuditEvent[] = [];
  readonly held: HeldRequest[] = [];
  readonly logLines: string[] = [];
  readonly recorded = new Map<string, { type: string; event: Record<string, unknown> }[]>();
  readonly engine = new KubernetesEngine({ authTimeoutMs: 20_000 });
  /** Credentials revoked since the start: their next login fails. */
  readonly revoked = new Set<string>();
  private policy: ReturnType<typeof compileCommandPolicy>;
  private masking: ReturnType<typeof compileMaskingRules>;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly dir = mkdtempSync(join(tmpdir(), 'postern-kube-'));

  private constructor(
    readonly apiServer: StandInApiServer,
    private readonly ingress: CertificateFiles,
    policy: KubeTestPolicy,
  ) {
    this.policy = compileCommandPolicy(kubernetesAnalyser(), policy.guardrails ?? [], policy.approvals ?? []);
    this.masking = compileMaskingRules(policy.masking ?? [], { hashKey: HASH_KEY });
    this.server = createServer((socket) => this.accept(socket));
  }

  static async start(policy: KubeTestPolicy = {}): Promise<KubeGateway> {
    const apiServer = await startStandInApiServer({ token: SA_TOKEN });
    seedStandIn(apiServer.store);
    const ingress = await selfSignedCertificate(['localhost']);
    const gateway = new KubeGateway(apiServer, ingress, policy);
    await new Promise<void>((resolve) => gateway.server.listen(0, '127.0.0.1', resolve));
    return gateway;
  }

  setPolicy(policy: KubeTestPolicy): void {
    this.policy = compileCommandPolicy(kubernetesAnalyser(), policy.guardrails ?? [], policy.approvals ?? []);
    this.masking = compileMaskingRules(policy.masking ?? [], { hashKey: HASH_KEY });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** A kubeconfig as `postern kubeconfig` writes it, with a static token instead of the exec plugin. */
  kubeconfig(options: { token?: string; connection?: string; namespace?: string } = {}): string {
    return writeKubeconfig(join(this.dir, `kubeconfig-${randomUUID()}`), {
      server: `https://localhost:${this.port}/k8s/${options.connection ?? 'cluster'}`,
      caPem: this.ingress.cert,
      token: options.token ?? ALICE.credential,
      namespace: options.namespace ?? 'prod',
    });
  }

  events(type: string): Record<string, unknown>[] {
    return [...this.recorded.values()]
      .flat()
      .filter((e) => e.type === type)
      .map((e) => e.event);
  }

  /** Revokes alice's credential: running sessions are aborted as the agent's revocation does. */
  revoke(credential: string): void {
    this.revoked.add(credential);
    for (const session of this.sessions) {
      if (session.opened.length > 0) session.controller.abort(new SessionAbortError('revoked'));
    }
  }

  async stop(): Promise<void> {
    for (const session of this.sessions) session.controller.abort(new SessionAbortError('agent_shutdown'));
    await Promise.all(this.sessions.map((s) => s.done));
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.apiServer.close();
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.ingress.dir, { recursive: true, force: true });
    rmSync(this.apiServer.certificate.dir, { recursive: true, force: true });
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
    record.done = this.engine.serve(socket, this.context(record, socket));
  }

  private context(record: SessionRecord, socket: Socket): KubernetesContext {
    const logger = createLogger({
      name: 'agent-test',
      level: 'debug',
      destination: { write: (line: string) => void this.logLines.push(line) },
      base: { sessionId: record.id },
    });
    const apiUrl = new URL(this.apiServer.url);
    return {
      sessionId: record.id,
      ingress: 'local',
      clientAddress: `${socket.remoteAddress}:${socket.remotePort}`,
      logger,
      clientTls: createSecureContext({ cert: this.ingress.cert, key: readFileSync(this.ingress.keyFile) }),
      signal: record.controller.signal,
      resolveConnection: (name, protocol) => {
        if (name !== 'cluster' || protocol !== 'kubernetes') return null;
        return {
          id: 'conn-cluster',
          name,
          protocol,
          target: {
            host: apiUrl.hostname,
            port: Number(apiUrl.port),
            user: '',
            secretRef: 'test:token',
            tls: { mode: 'verify-full', caRef: 'test:ca' },
            settings: { url: this.apiServer.url },
          },
          recordingMode: 'strict',
        };
      },
      authenticate: async (_connection, user, password) => this.authenticate(user, password),
      resolveSecret: async (ref) => {
        if (ref === 'test:token') return `${SA_TOKEN}\n`;
        if (ref === 'test:ca') return this.apiServer.ca;
        throw new Error(`no secret ${ref}`);
      },
      dialTarget: async (host) => host,
      revealPassword: () => undefined,
      policy: () => {
        const connectionId = record.opened[0]?.connection.id ?? '';
        const groups = record.opened[0]?.principal.groups ?? [];
        return {
          version: '1',
          statements: this.policy.forSession(connectionId, groups),
          masking: this.masking.forSession(connectionId, groups),
          hashKey: this.masking.hashKey,
        };
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

  private authenticate(user: string | null, password: string): AuthenticationResult {
    if (user !== null) return { ok: false, reason: 'user_mismatch', message: 'bearer logins have no user' };
    if (password !== ALICE.credential || this.revoked.has(password)) {
      return { ok: false, reason: 'invalid_credential', message: 'unknown credential' };
    }
    return {
      ok: true,
      principal: { id: 'user-alice', kind: 'user', displayName: 'Alice', groups: ALICE.groups, loginName: ALICE.login },
    };
  }
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Writes a kubeconfig as `postern kubeconfig` does (the server's CA embedded: kubectl verifies it),
 * with a static bearer token instead of the exec plugin; returns `file`.
 */
export function writeKubeconfig(
  file: string,
  options: { server: string; caPem: string; token: string; namespace?: string },
): string {
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: postern`,
      `  cluster: {server: "${options.server}", certificate-authority-data: ${Buffer.from(options.caPem).toString('base64')}}`,
      'users:',
      `- name: alice`,
      `  user: {token: "${options.token}"}`,
      'contexts:',
      `- name: postern`,
      `  context: {cluster: postern, user: alice, namespace: ${options.namespace ?? 'prod'}}`,
      'current-context: postern',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

/** Runs the real kubectl with `kubeconfig`; resolves with its exit code and output. */
export function kubectl(
  kubeconfig: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, '--cache-dir', join(tmpdir(), `postern-kubectl-cache-${process.pid}`), ...args],
      {
        env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC', HOME: tmpdir() },
        maxBuffer: 16 * 1024 * 1024,
        timeout: options.timeoutMs ?? 60_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
    options.onSpawn?.(child);
  });
}

export interface RunningPortForward {
  /** The local port kubectl listens on. */
  port: number;
  /** Resolves when kubectl exits, with its exit code and output. */
  exited: Promise<KubectlResult>;
  /** Stops kubectl (SIGTERM) and waits for it. */
  stop(): Promise<KubectlResult>;
}

/** Starts `kubectl port-forward <args>`; resolves once kubectl says which local port it forwards. */
export async function portForward(kubeconfig: string, args: string[]): Promise<RunningPortForward> {
  let child: ChildProcess | undefined;
  let stdout = '';
  let announced!: (port: number) => void;
  const listening = new Promise<number>((resolve) => (announced = resolve));
  const exited = kubectl(kubeconfig, ['port-forward', '--address', '127.0.0.1', ...args], {
    timeoutMs: 120_000,
    onSpawn: (spawned) => {
      child = spawned;
      spawned.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(stdout);
        if (match) announced(Number(match[1]));
      });
    },
  });
  const port = await Promise.race([
    listening,
    exited.then((result) => {
      throw new Error(`kubectl port-forward exited ${result.code}: ${result.stderr}`);
    }),
  ]);
  return {
    port,
    exited,
    stop: async () => {
      child?.kill('SIGTERM');
      return exited;
    },
  };
}
