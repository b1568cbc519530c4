import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsResolver } from './sessions.resolver.js';
import { SessionsService } from './sessions.service.js';

@Module({
  imports: [AuditModule],
  providers: [SessionsRepository, SessionsService, SessionsResolver],
  exports: [SessionsService],
})
export class SessionsModule {}
