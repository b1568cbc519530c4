// An agent replica speaking the real Control contract over @grpc/grpc-js, closer to apps/agent
// than RawAgent for policy: it applies snapshots and deltas (PolicyUpdate), acks each one, and
// heartbeats the version it holds. It can join an agent group at creation and reconnect with
// its held version in the hello.
import { randomUUID } from 'node:crypto';
import { Metadata, credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import {
  agentV1,
  applyPolicyUpdate,
  type AgentMessage,
  type ControlClient,
  type ControlMessage__Output,
  type PolicySnapshot__Output,
} from '@postern/proto';
import { waitFor, type ControlPlaneHandle } from '@postern/testing';

type Stream = ClientDuplexStream<AgentMessage, ControlMessage__Output>;

export class ReplicaAgent {
  received: ControlMessage__Output[] = [];
  held: PolicySnapshot__Output | null = null;
  /** When false, the next delta is refused (acked applied=false), as after a lost message. */
  acceptDeltas = true;
  private seq = 0;
  private reportSeq = 0;
  private stream: Stream | null = null;
  private heartbeat: NodeJS.Timeout | undefined;

  private constructor(
    readonly id: string,
    private readonly name: string,
    private readonly credential: string,
    private readonly client: ControlClient,
  ) {}

  static async start(cp: ControlPlaneHandle, name: string, agentGroupId: string | null): Promise<ReplicaAgent> {
    const created = await cp.admin<{ createAgent: { agent: { id: string }; enrollment: { token: string } } }>(
      'mutation($n: String!, $g: ID) { createAgent(input: { name: $n, agentGroupId: $g }) { agent { id } enrollment { token } } }',
      { n: name, g: agentGroupId },
    );
    if (created.errors) throw new Error(created.errors[0]!.message);
    const { agent, enrollment } = created.data!.createAgent;
    const client = new (agentV1().Control)(cp.grpcAddress, credentials.createInsecure()) as unknown as ControlClient;
    const credential = await new Promise<string>((resolve, reject) =>
      client.Enroll(
        { enrollmentToken: enrollment.token, agentVersion: 'replica', hostname: name },
        (error, response) => (error ? reject(error) : resolve(response!.credential)),
      ),
    );
    const replica = new ReplicaAgent(agent.id, name, credential, client);
    await replica.connect();
    return replica;
  }

  /** Opens a Control stream; hello names the version held. Resolves at the first policy message. */
  async connect(): Promise<void> {
    this.received = [];
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${this.credential}`);
    const stream = this.client.Connect(metadata) as unknown as Stream;
    this.stream = stream;
    stream.on('data', (message: ControlMessage__Output) => {
      this.received.push(message);
      this.applyPolicy(message);
    });
    stream.on('error', () => undefined);
    stream.write({
      hello: {
        agentVersion: 'replica-1.2.3',
        hostname: this.name,
        capabilities: ['postgres'],
        policyVersion: this.held?.version ?? '0',
        instanceId: randomUUID(),
      },
    });
    this.heartbeat = setInterval(() => this.beat(), 200);
    await this.next((m) => m.body === 'policySnapshot' || m.body === 'policyUpdate', 'the first policy message');
  }

  /** Sends a report (a session opened, …) as the agent's journal does; resolves once acknowledged. */
  async report(message: AgentMessage): Promise<void> {
    this.reportSeq += 1;
    const seq = String(this.reportSeq);
    this.stream?.write({ ...message, reportSeq: seq });
    await this.next((m) => m.body === 'reportAck' && m.reportAck?.seq === seq, `the acknowledgement of report ${seq}`);
  }

  disconnect(): void {
    clearInterval(this.heartbeat);
    this.stream?.end();
    this.stream?.cancel();
    this.stream = null;
  }

  close(): void {
    this.disconnect();
    this.client.close();
  }

  next(match: (message: ControlMessage__Output) => boolean, what: string, timeoutMs = 10_000) {
    return waitFor(() => this.received.find(match), { what, timeoutMs, intervalMs: 20 });
  }

  /** Waits until the held policy satisfies `ready`. */
  policy(ready: (policy: PolicySnapshot__Output) => boolean, what: string): Promise<PolicySnapshot__Output> {
    return waitFor(() => (this.held && ready(this.held) ? this.held : undefined), { what, intervalMs: 20 });
  }

  tunnels() {
    return this.received.filter((m) => m.body === 'openTunnel').map((m) => m.openTunnel!);
  }

  private applyPolicy(message: ControlMessage__Output): void {
    if (message.body === 'policySnapshot') {
      this.held = message.policySnapshot!;
      this.ack(this.held.version, true, '');
    } else if (message.body === 'policyUpdate') {
      const update = message.policyUpdate!;
      if (!this.acceptDeltas) {
        this.acceptDeltas = true;
        this.ack(update.version, false, 'refused by the test');
        return;
      }
      try {
        this.held = applyPolicyUpdate(this.held, update);
        this.ack(update.version, true, '');
      } catch (error) {
        this.ack(update.version, false, (error as Error).message);
      }
    }
  }

  private ack(version: string, applied: boolean, error: string): void {
    this.stream?.write({ policyAck: { version, applied, error } });
  }

  private beat(): void {
    this.seq += 1;
    this.stream?.write({
      heartbeat: {
        seq: String(this.seq),
        sentAt: { unixMs: String(Date.now()) },
        activeSessions: 0,
        policyVersion: this.held?.version ?? '0',
      },
    });
  }
}
