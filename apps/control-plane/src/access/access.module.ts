import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { AccessRepository } from './access.repository.js';
import { AccessResolver } from './access.resolver.js';
import { AccessService } from './access.service.js';
import { DataPlaneLogins } from './data-plane-logins.js';
import { DataPlaneTokenVerifier } from '../identity/token-verifier.js';

@Module({
  imports: [AuditModule, ConnectionsModule, IdentityModule, PolicyModule],
  providers: [AccessRepository, AccessService, AccessResolver, DataPlaneTokenVerifier, DataPlaneLogins],
  exports: [AccessService, DataPlaneLogins],
})
export class AccessModule {}
