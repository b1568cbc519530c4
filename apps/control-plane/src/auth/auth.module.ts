import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AdminTokenGuard } from './admin-token.guard.js';

@Module({ providers: [{ provide: APP_GUARD, useClass: AdminTokenGuard }] })
export class AuthModule {}
