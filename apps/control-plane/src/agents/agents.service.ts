import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { UUID } from '../platform/common/validation.js';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { formatSecret, hashSecret, mintSecret, parseSecret, secretMatches } from '@postern/contracts';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { AuditService } from '../audit/audit.service.js';
import {
  AlreadyExistsError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
} from '../platform/errors/domain-error.js';
import { AgentStreams } from './agent-streams.js';
import { RedisService } from '../platform/infra/redis/redis.service.js';
import { AGENT_CLOSED_CHANNEL, type AgentCloseOrder } from '../policy/policy.events.js';
import { PolicyService } from '../policy/policy.service.js';
import { AgentGroupJoinTokensRepository } from './agent-group-join-tokens.repository.js';
import { AgentGroupsRepository } from './agent-groups.repository.js';
import { AgentsRepository, DuplicateAgentNameError } from './agents.repository.js';
import type { Agent, AgentPresence } from './agent.types.js';
import { UnauthenticatedCalls } from './unauthenticated-calls.js';

const AGENT_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/;
const MAX_LABELS = 32;

export interface IssuedEnrollmentToken {
  token: string;
  expiresAt: Date;
}

/** Agents: creation, one-time enrollment, credential checks, presence. */
@Injectable()
export class AgentsService {
  constructor(
    private readonly repository: AgentsRepository,
    private readonly groups: AgentGroupsRepository,
    private readonly joinTokens: AgentGroupJoinTokensRepository,
    private readonly policy: PolicyService,
    private readonly streams: AgentStreams,
    private readonly audit: AuditService,
    private readonly redis: RedisService,
    private readonly refusals: UnauthenticatedCalls,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Ends the agent's Control streams opened until now, on this replica at once and on the others
   * through Redis. Best effort beyond this replica: with Redis down the other replicas' streams
   * end at the agent's next reconnect, when its old credential is refused.
   */
  private async closeStreamsEverywhere(agentId: string, message: string): Promise<void> {
    const before = Date.now();
    this.streams.closeAgent(agentId, { code: 'PERMISSION_DENIED', message }, before + 1);
    const order: AgentCloseOrder = { agentId, message, before: before + 1 };
    await this.redis.publish(AGENT_CLOSED_CHANNEL, JSON.stringify(order)).catch((error: unknown) => {
      this.logger.error({ err: error, agentId }, 'could not tell the other replicas to end the agent streams');
    });
  }

  async createAgent(
    input: { name: string; labels?: Record<string, string> | undefined; agentGroupId?: string | null | undefined },
    actor: string,
  ) {
    const labels = input.labels ?? {};
    const agentGroupId = input.agentGroupId ?? null;
    validateAgentName(input.name);
    validateLabels(labels);
    if (agentGroupId !== null && !(UUID.test(agentGroupId) && (await this.groups.findById(agentGroupId)))) {
      throw new NotFoundError('agent group', agentGroupId);
    }
    const id = randomUUID();
    const tokenId = randomUUID();
    const token = mintSecret('enroll', tokenId);
    const expiresAt = this.enrollmentExpiry();
    try {
      const agent = await this.repository.createWithEnrollmentToken({
        id,
        name: input.name,
        labels,
        agentGroupId,
        tokenId,
        tokenHash: token.hash,
        tokenExpiresAt: expiresAt,
      });
      await this.audit.record({
        kind: 'agent.created',
        actorId: actor,
        actorKind: 'admin',
        agentId: id,
        details: { name: input.name, agentGroupId: agentGroupId ?? '' },
      });
      return { agent, enrollment: { token: token.token, expiresAt } satisfies IssuedEnrollmentToken };
    } catch (error) {
      if (error instanceof DuplicateAgentNameError)
        throw new AlreadyExistsError(`an agent named "${input.name}" already exists`);
      throw error;
    }
  }

  /** A new one-time token for an existing agent (lost credential, reinstall). Using it rotates the credential. */
  async createEnrollmentToken(agentId: string, actor: string): Promise<IssuedEnrollmentToken> {
    const agent = await this.getAgent(agentId);
    if (agent.status === 'DISABLED') throw new PermissionDeniedError(`agent ${agent.name} is disabled`);
    const tokenId = randomUUID();
    const token = mintSecret('enroll', tokenId);
    const expiresAt = this.enrollmentExpiry();
    await this.repository.addEnrollmentToken({ agentId, tokenId, tokenHash: token.hash, expiresAt });
    await this.audit.record({ kind: 'agent.enrollment_token_issued', actorId: actor, actorKind: 'admin', agentId });
    return { token: token.token, expiresAt };
  }

  /**
   * Exchanges an enrollment token for the agent's long-lived credential: a one-time token of one
   * agent (`postern_enroll_…`), or an agent group's join token (`postern_join_…`), with which each
   * replica enrols as an agent of its own named after its host. Every refusal looks the same to the
   * caller (no hint whether the token existed, was used or expired) and is audited with its real
   * reason (aggregated per peer: UnauthenticatedCalls).
   */
  async enroll(input: { enrollmentToken: string; version: string; hostname: string; peer: string }) {
    const refuse = async (reason: string, agentId: string | null) => {
      await this.refusals.refused(input.peer, { method: 'Enroll', reason, agentId });
      return new PermissionDeniedError('enrollment token is invalid, expired or already used');
    };
    const joining = parseSecret('join', input.enrollmentToken);
    if (joining) return this.join(joining, input, refuse);
    const parsed = parseSecret('enroll', input.enrollmentToken);
    if (!parsed) throw await refuse('malformed token', null);
    const stored = await this.repository.findEnrollmentToken(parsed.id);
    if (!stored || !secretMatches(parsed.secret, stored.tokenHash)) throw await refuse('unknown token', null);
    if (stored.usedAt) throw await refuse('token already used', stored.agentId);
    const now = new Date();
    if (stored.expiresAt <= now) throw await refuse('token expired', stored.agentId);

    const credential = mintSecret('agent', stored.agentId);
    const agent = await this.repository.consumeEnrollmentToken({
      tokenId: parsed.id,
      agentId: stored.agentId,
      credentialHash: credential.hash,
      now,
    });
    if (!agent) throw await refuse('token already used or agent disabled', stored.agentId);
    return this.enrolled(agent, credential.token, input, { rotated: true });
  }

  private async join(
    parsed: { id: string; secret: string },
    input: { version: string; hostname: string; peer: string },
    refuse: (reason: string, agentId: string | null) => Promise<Error>,
  ) {
    const stored = await this.joinTokens.find(parsed.id);
    if (!stored || !secretMatches(parsed.secret, stored.tokenHash)) throw await refuse('unknown join token', null);
    const name = replicaAgentName(stored.groupName, input.hostname);
    if (!name) throw await refuse('join without a usable hostname', null);
    // The credential carries the agent's id, known once the row (new, or the replica's own) is
    // chosen; only the secret's hash goes into that row, so the secret is drawn first.
    const secret = randomBytes(32).toString('base64url');
    const joined = await this.joinTokens.join({
      tokenId: parsed.id,
      agentGroupId: stored.agentGroupId,
      name,
      credentialHash: hashSecret(secret),
      now: new Date(),
    });
    if ('refused' in joined) throw await refuse(`join token: ${joined.refused} (${name})`, null);
    const credential = formatSecret('agent', joined.agent.id, secret);
    return this.enrolled(joined.agent, credential.token, input, { rotated: joined.rejoined, joinTokenId: parsed.id });
  }

  private async enrolled(
    agent: Agent,
    credential: string,
    input: { version: string; hostname: string; peer: string },
    how: { rotated: boolean; joinTokenId?: string },
  ) {
    // A re-enrollment replaces the credential: streams opened with the old one must go.
    if (how.rotated) await this.closeStreamsEverywhere(agent.id, 'agent credential rotated');
    await this.audit.record({
      kind: 'agent.enrolled',
      actorId: agent.id,
      actorKind: 'agent',
      agentId: agent.id,
      details: {
        hostname: input.hostname.slice(0, 255),
        version: input.version.slice(0, 64),
        peer: input.peer,
        ...(how.joinTokenId ? { joinTokenId: how.joinTokenId, agentGroupId: agent.agentGroupId ?? '' } : {}),
      },
    });
    this.logger.info({ agentId: agent.id, agent: agent.name, peer: input.peer }, 'agent enrolled');
    return { agent, credential };
  }

  /** Resolves an agent credential to its (enabled, enrolled) agent; constant-time secret check. */
  async authenticate(credential: string | null): Promise<Agent> {
    if (!credential) throw new UnauthenticatedError('missing agent credential (authorization: Bearer …)');
    const parsed = parseSecret('agent', credential);
    const found = parsed ? await this.repository.findCredential(parsed.id) : null;
    if (!parsed || !found || !secretMatches(parsed.secret, found.credentialHash)) {
      throw new UnauthenticatedError('invalid agent credential');
    }
    if (found.agent.status === 'DISABLED') throw new PermissionDeniedError(`agent ${found.agent.name} is disabled`);
    return found.agent;
  }

  /**
   * Marks the agent online. Returns true when this is a new agent process (it restarted): the
   * sessions its previous process reported open cannot be running any more.
   */
  async connected(agent: Agent, presence: AgentPresence): Promise<boolean> {
    const { ok, previousInstance } = await this.repository.markOnline(agent.id, presence, new Date());
    if (!ok) throw new PermissionDeniedError(`agent ${agent.name} is disabled`);
    this.logger.info(
      {
        agentId: agent.id,
        agent: agent.name,
        version: presence.version,
        hostname: presence.hostname,
        streamId: presence.streamId,
      },
      'agent online',
    );
    return previousInstance !== null && previousInstance !== presence.instanceId;
  }

  heartbeat(agentId: string, streamId: string, policyVersion: bigint): Promise<void> {
    return this.repository.touch(agentId, streamId, new Date(), policyVersion);
  }

  /** The agent acknowledged applying policy `version`: it now enforces that version. */
  policyApplied(agentId: string, streamId: string, version: bigint): Promise<void> {
    return this.repository.policyApplied(agentId, streamId, version);
  }

  async disconnected(agent: Agent, streamId: string, reason: string): Promise<void> {
    const changed = await this.repository.markOffline(agent.id, streamId);
    if (changed) this.logger.info({ agentId: agent.id, agent: agent.name, streamId, reason }, 'agent offline');
  }

  /** Shutdown: the streams this replica held, offline in one write (not one per stream). */
  async disconnectedAll(streamIds: string[]): Promise<void> {
    const count = await this.repository.markStreamsOffline(streamIds);
    if (count > 0) this.logger.info({ agents: count }, 'agents offline: control plane shutting down');
  }

  /** Marks offline the agents whose stream holder stopped without closing it (e.g. a crashed replica). */
  async sweepStale(): Promise<string[]> {
    const cutoff = new Date(Date.now() - this.config.agents.heartbeatTimeoutMs);
    const ids = await this.repository.markStaleOffline(cutoff);
    if (ids.length > 0) this.logger.warn({ agentIds: ids }, 'agents marked offline: no heartbeat within the timeout');
    return ids;
  }

  async disable(agentId: string, actor: string): Promise<Agent> {
    const agent = UUID.test(agentId) ? await this.repository.disable(agentId) : null;
    if (!agent) throw new NotFoundError('agent', agentId);
    await this.closeStreamsEverywhere(agentId, 'agent disabled by an administrator');
    await this.audit.record({ kind: 'agent.disabled', actorId: actor, actorKind: 'admin', agentId });
    return agent;
  }

  async getAgent(id: string): Promise<Agent> {
    const agent = UUID.test(id) ? await this.repository.findById(id) : null;
    if (!agent) throw new NotFoundError('agent', id);
    return agent;
  }

  /**
   * Agents by name, with the latest policy version so callers can tell how far behind each one
   * is. `stalePolicy`: only agents enforcing an older version than the latest (or none yet).
   */
  async listAgents(filter: {
    status?: Agent['status'] | undefined;
    agentGroupId?: string | undefined;
    stalePolicy?: boolean | undefined;
  }): Promise<{ agents: Agent[]; latestPolicyVersion: bigint }> {
    const latestPolicyVersion = await this.policy.latestVersion();
    const agents = await this.repository.list({
      status: filter.status,
      agentGroupId: filter.agentGroupId,
      policyBefore: filter.stalePolicy ? latestPolicyVersion : undefined,
    });
    return { agents, latestPolicyVersion };
  }

  latestPolicyVersion(): Promise<bigint> {
    return this.policy.latestVersion();
  }

  private enrollmentExpiry(): Date {
    return new Date(Date.now() + this.config.agents.enrollmentTokenTtlSeconds * 1000);
  }
}

/**
 * The name of a replica that joins `group` from `hostname` (a StatefulSet pod's name is stable, so
 * a restarted pod is the same agent): `<group>-<host>`, in agent-name characters; names too long
 * for 63 characters keep a hash of the host so two long host names stay apart. Null when nothing
 * usable is left.
 */
export function replicaAgentName(group: string, hostname: string): string | null {
  const clean = (value: string) =>
    value
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^-+|-+$/g, '');
  const host = clean(hostname.split('.')[0] ?? '');
  const prefix = clean(group);
  if (!host || !prefix) return null;
  let name = `${prefix}-${host}`;
  if (name.length > 63) {
    const digest = createHash('sha256').update(hostname).digest('hex').slice(0, 8);
    name = `${clean(name.slice(0, 63 - 9))}-${digest}`;
  }
  return AGENT_NAME.test(name) ? name : null;
}

function validateAgentName(name: string): void {
  if (!AGENT_NAME.test(name)) {
    throw new InvalidArgumentError(
      'agent name must be 1-63 lowercase letters, digits or "-", starting and ending with a letter or digit',
    );
  }
}

function validateLabels(labels: Record<string, string>): void {
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) throw new InvalidArgumentError(`at most ${MAX_LABELS} labels`);
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key)) throw new InvalidArgumentError(`label key "${key.slice(0, 80)}" is not valid`);
    if (typeof value !== 'string' || value.length > 256)
      throw new InvalidArgumentError(`label "${key}" must be at most 256 characters`);
  }
}
