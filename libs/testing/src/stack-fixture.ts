import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POSTERN_AUDIENCE } from './idp/audiences.js';
import type { DevIdp, DevIdpOptions } from './idp/dev-idp.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import type { ManagedProcess } from './processes.js';
import { startAgent, startControlPlane, type ControlPlaneHandle, type ControlPlaneOptions } from './stack.js';
import { selfSignedCertificate, type CertificateFiles } from './tls.js';

/**
 * The whole system as a suite needs it, started once per test file: a fresh database, optionally
 * the development OIDC provider (a real, certified one), the built control plane trusting it, and
 * agents enrolled through the GraphQL API as an operator would. One fixture for every suite and
 * the benchmarks instead of a copy per file; `stop()` takes everything down in reverse order.
 */
export interface StackOptions {
  /** Prefix of the database name (and nothing else): one per test file keeps suites apart. */
  name: string;
  /** Start the development IdP and configure the control plane to trust it. */
  idp?: boolean | DevIdpOptions;
  /** A self-signed certificate for the gRPC port (agents then dial with TLS). */
  tls?: boolean;
  /** Control-plane settings on top of the fixture's (ports, Redis prefix, ...). */
  controlPlane?: Omit<ControlPlaneOptions, 'databaseUrl' | 'tls'>;
  /** Agents to enroll and start, by name, with environment of their own. */
  agents?: Array<{ name: string; env?: Record<string, string> }>;
}

export interface StackAgent {
  id: string;
  name: string;
  process: ManagedProcess;
  stateDir: string;
}

export interface TestStack {
  database: TestDatabase;
  idp: DevIdp | null;
  tls: CertificateFiles | null;
  cp: ControlPlaneHandle;
  agents: Map<string, StackAgent>;
  /** Registers an agent (createAgent) and starts it with its enrollment token; resolves once it is connected. */
  enrollAgent(name: string, env?: Record<string, string>): Promise<StackAgent>;
  stop(): Promise<void>;
}

/** The control-plane settings that trust the development IdP: its issuer, the dashboard client, Postern's audience. */
export function devIdpEnv(idp: Pick<DevIdp, 'issuer'>): Record<string, string> {
  return {
    POSTERN_OIDC_ISSUER: idp.issuer,
    POSTERN_OIDC_CLIENT_ID: 'postern-dashboard',
    POSTERN_OIDC_AUDIENCE: POSTERN_AUDIENCE,
  };
}

export async function startStack(options: StackOptions): Promise<TestStack> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const [database, idp] = await Promise.all([createTestDatabase(options.name), startIdp(options.idp)]);
    cleanups.push(() => database.drop());
    if (idp) cleanups.push(() => idp.close());
    const tls = options.tls ? await selfSignedCertificate() : null;
    if (tls) cleanups.push(() => rmSync(tls.dir, { recursive: true, force: true }));
    const cp = await startControlPlane({
      ...options.controlPlane,
      databaseUrl: database.url,
      ...(tls ? { tls } : {}),
      env: { ...(idp ? devIdpEnv(idp) : {}), ...options.controlPlane?.env },
    });
    cleanups.push(async () => void (await cp.process.stop()));
    const agents = new Map<string, StackAgent>();
    const enrollAgent = async (name: string, env: Record<string, string> = {}): Promise<StackAgent> => {
      const response = await cp.admin<{ createAgent: { agent: { id: string }; enrollment: { token: string } } }>(
        'mutation($name: String!) { createAgent(input: { name: $name }) { agent { id } enrollment { token } } }',
        { name },
      );
      if (!response.data) throw new Error(`createAgent ${name}: ${response.errors?.[0]?.message ?? 'no data'}`);
      const stateDir = mkdtempSync(join(tmpdir(), `postern-agent-${name}-`));
      cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
      const process = startAgent({
        controlPlaneAddress: cp.grpcAddress,
        stateDir,
        enrollmentToken: response.data.createAgent.enrollment.token,
        ...(tls ? { caFile: tls.certFile } : {}),
        env,
      });
      cleanups.push(async () => void (await process.stop()));
      await process.waitForMessage('connected to control plane', 60_000);
      const agent = { id: response.data.createAgent.agent.id, name, process, stateDir };
      agents.set(name, agent);
      return agent;
    };
    for (const agent of options.agents ?? []) await enrollAgent(agent.name, agent.env);
    return { database, idp, tls, cp, agents, enrollAgent, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startIdp(options: StackOptions['idp']): Promise<DevIdp | null> {
  if (!options) return null;
  // Loaded on demand: oidc-provider is a large module graph that most suites never need.
  const { startDevIdp } = await import('./idp/dev-idp.js');
  return startDevIdp(options === true ? {} : options);
}
