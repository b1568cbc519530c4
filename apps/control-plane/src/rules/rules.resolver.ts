import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import {
  ApprovalRuleModel,
  CreateApprovalRuleInput,
  CreateGuardrailInput,
  CreateMaskingRuleInput,
  GuardrailModel,
  MaskingRuleModel,
  UpdateApprovalRuleInput,
  UpdateGuardrailInput,
  UpdateMaskingRuleInput,
} from './dto/rule.model.js';
import { RulesService } from './rules.service.js';

const connectionFilter = {
  type: () => ID,
  nullable: true,
  description: 'Only rules that apply to this connection (those naming it or naming none).',
} as const;

/** Guardrails, approval rules and masking rules. Admins only (no @Roles: the guard's default). */
@Resolver()
export class RulesResolver {
  constructor(private readonly service: RulesService) {}

  @Query(() => [GuardrailModel])
  async guardrails(@Args('connectionId', connectionFilter) connectionId?: string | null) {
    return (await this.service.list('guardrail', connectionId ?? undefined)).map(GuardrailModel.from);
  }

  @Mutation(() => GuardrailModel)
  async createGuardrail(@Args('input') input: CreateGuardrailInput, @CurrentActor() actor: Actor) {
    return GuardrailModel.from(await this.service.createGuardrail(input, actor.id));
  }

  @Mutation(() => GuardrailModel)
  async updateGuardrail(
    @Args('id', { type: () => ID }) id: string,
    @Args('input') input: UpdateGuardrailInput,
    @CurrentActor() actor: Actor,
  ) {
    return GuardrailModel.from(await this.service.updateGuardrail(id, input, actor.id));
  }

  @Mutation(() => GuardrailModel)
  async deleteGuardrail(@Args('id', { type: () => ID }) id: string, @CurrentActor() actor: Actor) {
    return GuardrailModel.from(await this.service.delete('guardrail', id, actor.id));
  }

  @Query(() => [ApprovalRuleModel])
  async approvalRules(@Args('connectionId', connectionFilter) connectionId?: string | null) {
    return (await this.service.list('approval', connectionId ?? undefined)).map(ApprovalRuleModel.from);
  }

  @Mutation(() => ApprovalRuleModel)
  async createApprovalRule(@Args('input') input: CreateApprovalRuleInput, @CurrentActor() actor: Actor) {
    return ApprovalRuleModel.from(await this.service.createApprovalRule(input, actor.id));
  }

  @Mutation(() => ApprovalRuleModel)
  async updateApprovalRule(
    @Args('id', { type: () => ID }) id: string,
    @Args('input') input: UpdateApprovalRuleInput,
    @CurrentActor() actor: Actor,
  ) {
    return ApprovalRuleModel.from(await this.service.updateApprovalRule(id, input, actor.id));
  }

  @Mutation(() => ApprovalRuleModel)
  async deleteApprovalRule(@Args('id', { type: () => ID }) id: string, @CurrentActor() actor: Actor) {
    return ApprovalRuleModel.from(await this.service.delete('approval', id, actor.id));
  }

  @Query(() => [MaskingRuleModel])
  async maskingRules(@Args('connectionId', connectionFilter) connectionId?: string | null) {
    return (await this.service.list('masking', connectionId ?? undefined)).map(MaskingRuleModel.from);
  }

  @Mutation(() => MaskingRuleModel)
  async createMaskingRule(@Args('input') input: CreateMaskingRuleInput, @CurrentActor() actor: Actor) {
    return MaskingRuleModel.from(await this.service.createMaskingRule(input, actor.id));
  }

  @Mutation(() => MaskingRuleModel)
  async updateMaskingRule(
    @Args('id', { type: () => ID }) id: string,
    @Args('input') input: UpdateMaskingRuleInput,
    @CurrentActor() actor: Actor,
  ) {
    return MaskingRuleModel.from(await this.service.updateMaskingRule(id, input, actor.id));
  }

  @Mutation(() => MaskingRuleModel)
  async deleteMaskingRule(@Args('id', { type: () => ID }) id: string, @CurrentActor() actor: Actor) {
    return MaskingRuleModel.from(await this.service.delete('masking', id, actor.id));
  }
}
