import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import type { ControlHandlers } from '@postern/proto';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { DomainError, toGrpcStatus } from '../platform/errors/domain-error.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { AuditService } from '../audit/audit.service.js';
import { PolicyService } from '../policy/policy.service.js';
import { CommandReviewsService } from '../reviews/command-reviews.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { CONTROL_PLANE_VERSION } from '../version.js';
import { AgentStreams } from './agent-streams.js';
import { AgentsService } from './agents.service.js';
import { ControlStream, bearerFrom } from './control-stream.js';
import { AppliedPolicyStore } from './policy-sync.js';
import { UnauthenticatedCalls } from './unauthenticated-calls.js';

/** The `Control` service of the agent contract: a thin translation onto AgentsService. */
@Injectable()
export class ControlGrpcHandlers {
  constructor(
    private readonly agents: AgentsService,
    private readonly policy: PolicyService,
    private readonly sessions: SessionsService,
    private readonly commandReviews: CommandReviewsService,
    private readonly audit: AuditService,
    private readonly streams: AgentStreams,
    private readonly appliedPolicies: AppliedPolicyStore,
    private readonly refusals: UnauthenticatedCalls,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  handlers(): ControlHandlers {
    return {
      Enroll: (call, callback) => {
        const request = call.request;
        if (!this.refusals.admit(call.getPeer(), 'Enroll')) {
          callback(this.grpcError(this.refusals.exhausted(), 'Enroll'));
          return;
        }
        this.agents
          .enroll({
            enrollmentToken: request.enrollmentToken,
            version: request.agentVersion,
            hostname: request.hostname,
            peer: call.getPeer(),
          })
          .then(
            ({ agent, credential }) => callback(null, { agentId: agent.id, agentName: agent.name, credential }),
            (error: unknown) => callback(this.grpcError(error, 'Enroll')),
          );
      },
      Connect: (call) => {
        if (!this.refusals.admit(call.getPeer(), 'Connect')) {
          call.emit('error', this.grpcError(this.refusals.exhausted(), 'Connect'));
          return;
        }
        this.agents.authenticate(bearerFrom(call)).then(
          (agent) =>
            new ControlStream(call, agent, {
              agents: this.agents,
              policy: this.policy,
              sessions: this.sessions,
              commandReviews: this.commandReviews,
              audit: this.audit,
              streams: this.streams,
              appliedPolicies: this.appliedPolicies,
              config: this.config,
              logger: this.logger,
              version: CONTROL_PLANE_VERSION,
            }).start(),
          (error: unknown) => {
            this.logger.warn({ peer: call.getPeer(), reason: (error as Error).message }, 'agent stream refused');
            call.emit('error', this.grpcError(error, 'Connect'));
            if (error instanceof DomainError) {
              void this.refusals
                .refused(call.getPeer(), { method: 'Connect', reason: error.message.slice(0, 200), agentId: null })
                .catch(() => undefined);
            }
          },
        );
      },
    };
  }

  private grpcError(error: unknown, method: string) {
    const status = toGrpcStatus(error);
    if (status.code === 13) this.logger.error({ err: error, method }, 'gRPC handler failed');
    return { code: status.code, details: status.details };
  }
}
