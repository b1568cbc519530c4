import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { DomainErrorFilter } from '../errors/domain-error.filter.js';
import { AdminTokenGuard } from './admin-token.guard.js';

@Module({
  providers: [
    { provide: APP_GUARD, useClass: AdminTokenGuard },
    { provide: APP_FILTER, useClass: DomainErrorFilter },
  ],
})
export class AuthModule {}
