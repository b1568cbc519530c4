import { Module, type OnModuleInit } from '@nestjs/common';
import { agentV1 } from '@postern/proto';
import { AccessModule } from '../access/access.module.js';
import { AgentsModule } from '../agents/agents.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { GrpcServerService } from '../platform/infra/grpc/grpc-server.service.js';
import { CancelRoutes } from './cancel-routes.js';
import { InternalLinkClient } from './internal-link.client.js';
import { InternalLinkServer } from './internal-link.server.js';
import { PostgresRelay } from './postgres-relay.js';
import { StreamDirectory } from './stream-directory.js';
import { TunnelBroker } from './tunnel-broker.js';
import { TunnelGrpcHandlers } from './tunnel.grpc.js';

@Module({
  imports: [AccessModule, AgentsModule, ConnectionsModule],
  providers: [
    TunnelBroker,
    TunnelGrpcHandlers,
    CancelRoutes,
    PostgresRelay,
    StreamDirectory,
    InternalLinkClient,
    InternalLinkServer,
  ],
})
export class RelayModule implements OnModuleInit {
  constructor(
    private readonly grpc: GrpcServerService,
    private readonly tunnel: TunnelGrpcHandlers,
  ) {}

  onModuleInit(): void {
    this.grpc.register({ definition: agentV1().Tunnel.service, implementation: this.tunnel.handlers() });
  }
}
