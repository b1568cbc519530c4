import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { DomainErrorFilter } from '../errors/domain-error.filter.js';
import { AuthGuard } from './auth.guard.js';

/**
 * The global guard and error filter. Authentication itself comes from the module given to
 * `forRoot` (the identity feature), which provides API_AUTHENTICATION: this plumbing imports no
 * feature, and API_AUTHENTICATION is visible to every module (the GraphQL gate, subscriptions).
 */
@Module({})
export class AuthModule {
  static forRoot(authentication: Type): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      imports: [authentication],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: DomainErrorFilter },
      ],
      exports: [authentication],
    };
  }
}
