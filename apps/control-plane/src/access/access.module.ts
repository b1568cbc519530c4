import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { AccessRepository } from './access.repository.js';
import { AccessResolver } from './access.resolver.js';
import { AccessService } from './access.service.js';

@Module({
  imports: [AuditModule, ConnectionsModule, IdentityModule, PolicyModule],
  providers: [AccessRepository, AccessService, AccessResolver],
  exports: [AccessService],
})
export class AccessModule {}
