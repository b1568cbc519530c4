import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { DomainErrorFilter } from '../errors/domain-error.filter.js';
import { AuthGuard } from './auth.guard.js';
import { ApiAuthenticator } from './authenticator.js';
import { IdentityModule } from '../identity/identity.module.js';

@Module({
  imports: [IdentityModule],
  providers: [
    ApiAuthenticator,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: DomainErrorFilter },
  ],
  exports: [ApiAuthenticator],
})
export class AuthModule {}
