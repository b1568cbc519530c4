import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { AgentsModule } from '../agents/agents.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { ApiLimitsModule } from '../platform/api-limits/api-limits.module.js';
import { TokenExchangeController } from './token-exchange.controller.js';
import { TokenExchangeService } from './token-exchange.service.js';
import { TrustedIssuersRepository } from './trusted-issuers.repository.js';
import { TrustedIssuersResolver } from './trusted-issuers.resolver.js';
import { TrustedIssuersService } from './trusted-issuers.service.js';
import { WorkloadTokens } from './workload-tokens.js';
import { PolicyEnforcement } from './policy-enforcement.js';

/** Machine identities without static secrets: trusted issuers, claim mapping, token exchange. */
@Module({
  imports: [AccessModule, AgentsModule, AuditModule, ConnectionsModule, IdentityModule, ApiLimitsModule],
  controllers: [TokenExchangeController],
  providers: [
    TrustedIssuersRepository,
    TrustedIssuersService,
    TrustedIssuersResolver,
    WorkloadTokens,
    TokenExchangeService,
    PolicyEnforcement,
  ],
})
export class TrustedIssuersModule {}
