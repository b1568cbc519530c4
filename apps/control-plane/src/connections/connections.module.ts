import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { ConnectionsRepository } from './connections.repository.js';
import { ConnectionsResolver } from './connections.resolver.js';
import { ConnectionsService } from './connections.service.js';

@Module({
  imports: [AgentsModule, AuditModule, PolicyModule],
  providers: [ConnectionsRepository, ConnectionsService, ConnectionsResolver],
  exports: [ConnectionsService],
})
export class ConnectionsModule {}
