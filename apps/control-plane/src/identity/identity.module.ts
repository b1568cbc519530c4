import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { UsersRepository } from './users.repository.js';
import { UsersResolver } from './users.resolver.js';
import { UsersService } from './users.service.js';
import { IdentityService } from './identity.service.js';
import { ApiTokenVerifier } from './token-verifier.js';
import { OidcSignInController } from './oidc/sign-in.controller.js';
import { OidcSignInService } from './oidc/sign-in.service.js';
import { UsedSignInTransactions } from './oidc/used-transactions.js';
import { ApiSessionsRepository } from './api-sessions.repository.js';
import { ApiSessionsService } from './api-sessions.service.js';
import { API_AUTHENTICATION } from '../platform/auth/api-authentication.js';
import { ApiAuthenticator } from './api-authenticator.js';

@Module({
  imports: [AuditModule, PolicyModule],
  controllers: [OidcSignInController],
  providers: [
    UsersRepository,
    UsersService,
    UsersResolver,
    IdentityService,
    ApiTokenVerifier,
    OidcSignInService,
    UsedSignInTransactions,
    ApiSessionsRepository,
    ApiSessionsService,
    ApiAuthenticator,
    { provide: API_AUTHENTICATION, useExisting: ApiAuthenticator },
  ],
  exports: [UsersService, IdentityService, ApiTokenVerifier, ApiSessionsService, API_AUTHENTICATION],
})
export class IdentityModule {}
