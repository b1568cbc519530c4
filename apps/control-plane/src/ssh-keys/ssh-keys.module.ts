import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { SshKeysRepository } from './ssh-keys.repository.js';
import { SshKeysResolver } from './ssh-keys.resolver.js';
import { SshKeysService } from './ssh-keys.service.js';

@Module({
  imports: [AuditModule, IdentityModule, PolicyModule],
  providers: [SshKeysRepository, SshKeysService, SshKeysResolver],
})
export class SshKeysModule {}
