// An agent speaking the real Control contract over @grpc/grpc-js, driven by the test: enrolls
// with a token from createAgent, says hello, heartbeats, and records every message it receives.
import { randomUUID } from 'node:crypto';
import {
  Metadata,
  credentials,
  type ChannelCredentials,
  type ClientDuplexStream,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  agentV1,
  type AgentMessage,
  type ControlClient,
  type ControlMessage__Output,
  type PolicySnapshot__Output,
} from '@postern/proto';
import { waitFor, type ControlPlaneHandle } from '@postern/testing';

export interface PrincipalSpec {
  id: string;
  displayName: string;
  groups: string[];
  kind: 'KIND_USER' | 'KIND_SERVICE';
}

export class RawAgent {
  readonly received: ControlMessage__Output[] = [];
  /** How the Control stream ended (code and details), once it has. */
  readonly ended: Promise<{ code: number; details: string }>;
  private seq = 0;
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    readonly id: string,
    /** The agent credential (for the Recording.Ship and Tunnel services). */
    readonly credential: string,
    private readonly client: ControlClient,
    private readonly stream: ClientDuplexStream<AgentMessage, ControlMessage__Output>,
  ) {
    stream.on('data', (message: ControlMessage__Output) => this.received.push(message));
    this.ended = new Promise((resolve) =>
      stream.on('error', (error: ServiceError) => resolve({ code: error.code, details: error.details })),
    );
    // The test control planes expect a heartbeat at least every 1.5 s.
    this.heartbeat = setInterval(() => this.beat(), 200);
  }

  /** Creates an agent through the admin API, enrolls it and opens its Control stream. */
  static async start(
    cp: ControlPlaneHandle,
    name: string,
    tls?: { ca: Buffer; serverName: string },
  ): Promise<RawAgent> {
    const created = await cp.admin<{ createAgent: { agent: { id: string }; enrollment: { token: string } } }>(
      'mutation($n: String!) { createAgent(input: { name: $n }) { agent { id } enrollment { token } } }',
      { n: name },
    );
    if (created.errors) throw new Error(created.errors[0]!.message);
    const { agent, enrollment } = created.data!.createAgent;
    const Control = agentV1().Control;
    const channel: ChannelCredentials = tls ? credentials.createSsl(tls.ca) : credentials.createInsecure();
    const options = tls ? { 'grpc.ssl_target_name_override': tls.serverName } : {};
    const client = new Control(cp.grpcAddress, channel, options) as unknown as ControlClient;
    const credential = await new Promise<string>((resolve, reject) =>
      client.Enroll({ enrollmentToken: enrollment.token, agentVersion: 'raw', hostname: name }, (error, response) =>
        error ? reject(error) : resolve(response!.credential),
      ),
    );
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${credential}`);
    const stream = client.Connect(metadata) as unknown as ClientDuplexStream<AgentMessage, ControlMessage__Output>;
    const raw = new RawAgent(agent.id, credential, client, stream);
    stream.write({
      hello: {
        agentVersion: 'raw',
        hostname: name,
        capabilities: ['postgres'],
        policyVersion: '0',
        instanceId: randomUUID(),
      },
    });
    await raw.next((m) => m.body === 'policySnapshot', 'the first policy snapshot');
    return raw;
  }

  send(message: AgentMessage): void {
    this.stream.write(message);
  }

  /** Resolves once every message sent before has been handled (messages are handled in order). */
  async sync(): Promise<void> {
    const seq = this.beat();
    await this.next((m) => m.body === 'heartbeatAck' && m.heartbeatAck?.seq === seq, `heartbeat ack ${seq}`);
  }

  /** The first received message (already or later) that matches. */
  next(match: (message: ControlMessage__Output) => boolean, what: string, timeoutMs = 10_000) {
    return waitFor(() => this.received.find(match), { what, timeoutMs, intervalMs: 20 });
  }

  /** The newest policy snapshot that satisfies `ready`. */
  snapshot(ready: (snapshot: PolicySnapshot__Output) => boolean, what: string): Promise<PolicySnapshot__Output> {
    return waitFor(
      () =>
        this.received
          .filter((m) => m.body === 'policySnapshot')
          .map((m) => m.policySnapshot!)
          .reverse()
          .find(ready),
      { what, intervalMs: 20 },
    );
  }

  decisions(requestId: string) {
    return this.received.filter((m) => m.approvalDecision?.requestId === requestId).map((m) => m.approvalDecision!);
  }

  openSession(connectionId: string, principal: PrincipalSpec, sessionId = randomUUID()): string {
    this.send({
      sessionOpened: {
        sessionId,
        connectionId,
        principal,
        clientAddress: '127.0.0.1:50000',
        ingress: 'local',
        startedAt: { unixMs: String(Date.now()) },
        policyVersion: '1',
      },
    });
    return sessionId;
  }

  closeSession(sessionId: string): void {
    this.send({
      sessionClosed: {
        sessionId,
        endedAt: { unixMs: String(Date.now()) },
        endReason: 'client_closed',
        bytesFromClient: '0',
        bytesFromTarget: '0',
        statementCount: '1',
        error: '',
      },
    });
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.stream.end();
    this.client.close();
  }

  private beat(): string {
    this.seq += 1;
    const seq = String(this.seq);
    this.stream.write({
      heartbeat: { seq, sentAt: { unixMs: String(Date.now()) }, activeSessions: 0, policyVersion: '0' },
    });
    return seq;
  }
}

/**
 * Creates a PostgreSQL connection served by `agentId`: by default to a database of its own name
 * on the machine's PostgreSQL as the trusted superuser (the secret is then never used).
 */
export async function createConnection(
  cp: ControlPlaneHandle,
  name: string,
  agentId: string,
  target: { port?: number; database?: string; secretRef?: string } = {},
): Promise<string> {
  const created = await cp.admin<{ createConnection: { id: string } }>(
    'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
    {
      input: {
        name,
        protocol: 'POSTGRES',
        agentId,
        targetHost: '127.0.0.1',
        targetPort: target.port ?? 5432,
        targetDatabase: target.database ?? name,
        targetUser: 'postgres',
        secretRef: target.secretRef ?? 'env:UNUSED',
        tlsMode: 'disable',
      },
    },
  );
  if (created.errors) throw new Error(created.errors[0]!.message);
  return created.data!.createConnection.id;
}

/** Lets the IdP group `engineers` read and write through `connectionId` (alice is one of them). */
export async function grantEngineers(cp: ControlPlaneHandle, connectionId: string): Promise<void> {
  const granted = await cp.admin(
    'mutation($id: ID!) { createAccessRule(input: { connectionId: $id, groups: ["engineers"], operations: ["read", "write"] }) { id } }',
    { id: connectionId },
  );
  if (granted.errors) throw new Error(granted.errors[0]!.message);
}
