import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { RulesRepository } from './rules.repository.js';
import { RulesResolver } from './rules.resolver.js';
import { RulesService } from './rules.service.js';

@Module({
  imports: [AuditModule, PolicyModule],
  providers: [RulesRepository, RulesService, RulesResolver],
})
export class RulesModule {}
