import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { UsersRepository } from './users.repository.js';
import { UsersResolver } from './users.resolver.js';
import { UsersService } from './users.service.js';
import { IdentityService } from './identity.service.js';
import { ApiTokenVerifier } from './token-verifier.js';

@Module({
  imports: [AuditModule, PolicyModule],
  providers: [
    UsersRepository,
    UsersService,
    UsersResolver,
    IdentityService,
    ApiTokenVerifier,
  ],
  exports: [UsersService, IdentityService, ApiTokenVerifier],
})
export class IdentityModule {}
