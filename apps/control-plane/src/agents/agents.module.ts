import { Module, type OnModuleInit } from '@nestjs/common';
import { agentV1 } from '@postern/proto';
import { AuditModule } from '../audit/audit.module.js';
import { GrpcServerService } from '../platform/infra/grpc/grpc-server.service.js';
import { PolicyModule } from '../policy/policy.module.js';
import { CommandReviewsModule } from '../reviews/command-reviews.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { PolicyPush } from './policy-push.js';
import { AppliedPolicyStore } from './policy-sync.js';
import { RevokePush } from './revoke-push.js';
import { ApprovalPush } from './approval-push.js';
import { AgentPresenceSweeper } from './agent-presence.sweeper.js';
import { AgentStreams } from './agent-streams.js';
import { FleetMetrics } from './fleet-metrics.js';
import { AgentGroupJoinTokensRepository } from './agent-group-join-tokens.repository.js';
import { AgentGroupsRepository } from './agent-groups.repository.js';
import { AgentGroupsResolver } from './agent-groups.resolver.js';
import { AgentGroupsService } from './agent-groups.service.js';
import { AgentsRepository } from './agents.repository.js';
import { AgentsResolver } from './agents.resolver.js';
import { AgentsService } from './agents.service.js';
import { ControlGrpcHandlers } from './control.grpc.js';
import { UnauthenticatedCalls } from './unauthenticated-calls.js';

@Module({
  imports: [AuditModule, CommandReviewsModule, PolicyModule, SessionsModule],
  providers: [
    AgentsRepository,
    AgentsService,
    AgentStreams,
    AgentsResolver,
    AgentGroupsRepository,
    AgentGroupJoinTokensRepository,
    AgentGroupsService,
    AgentGroupsResolver,
    ControlGrpcHandlers,
    AppliedPolicyStore,
    AgentPresenceSweeper,
    PolicyPush,
    RevokePush,
    ApprovalPush,
    UnauthenticatedCalls,
    FleetMetrics,
  ],
  exports: [AgentsService, AgentGroupsService, AgentStreams, UnauthenticatedCalls],
})
export class AgentsModule implements OnModuleInit {
  constructor(
    private readonly grpc: GrpcServerService,
    private readonly control: ControlGrpcHandlers,
    private readonly streams: AgentStreams,
    private readonly agents: AgentsService,
  ) {}

  onModuleInit(): void {
    this.grpc.register({ definition: agentV1().Control.service, implementation: this.control.handlers() }, async () => {
      const streamIds = this.streams.closeAll({
        code: 'UNAVAILABLE',
        message: 'control plane shutting down; reconnect',
      });
      await this.agents.disconnectedAll(streamIds).catch(() => {
        // The presence sweeper marks them offline after the heartbeat timeout instead.
      });
      await this.streams.drained();
    });
  }
}
