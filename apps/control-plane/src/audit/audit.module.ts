import { Module } from '@nestjs/common';
import { AuditCheckpointService } from './audit-checkpoint.service.js';
import { AuditExportController } from './audit-export.controller.js';
import { AuditIntegrityService } from './audit-integrity.service.js';
import { AuditVerifier } from './audit-verifier.js';
import { AuditRepository } from './audit.repository.js';
import { AuditResolver } from './audit.resolver.js';
import { AuditService } from './audit.service.js';

@Module({
  controllers: [AuditExportController],
  providers: [
    AuditRepository,
    AuditService,
    AuditVerifier,
    AuditIntegrityService,
    AuditCheckpointService,
    AuditResolver,
  ],
  exports: [AuditService],
})
export class AuditModule {}
