import { Module } from '@nestjs/common';
import { PolicyRepository } from './policy.repository.js';
import { PolicyService } from './policy.service.js';
import { IdentityProviderKeys } from './identity-provider-keys.js';

@Module({ providers: [PolicyRepository, PolicyService, IdentityProviderKeys], exports: [PolicyService] })
export class PolicyModule {}
