import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { toRules, TrustedIssuerInput, TrustedIssuerModel } from './dto/trusted-issuer.model.js';
import { TrustedIssuersService } from './trusted-issuers.service.js';

/** Admin only (no @Roles): who may mint machine identities is the admin's decision. */
@Resolver(() => TrustedIssuerModel)
export class TrustedIssuersResolver {
  constructor(private readonly service: TrustedIssuersService) {}

  @Query(() => [TrustedIssuerModel])
  async trustedIssuers() {
    return (await this.service.list()).map((issuer) => TrustedIssuerModel.from(issuer));
  }

  @Mutation(() => TrustedIssuerModel, {
    description: 'Trusts a token issuer (CI platform, Kubernetes cluster) for machine identities, with mapping rules.',
  })
  async createTrustedIssuer(@Args('input') input: TrustedIssuerInput, @CurrentActor() actor: Actor) {
    return TrustedIssuerModel.from(await this.service.create({ ...input, rules: toRules(input.rules) }, actor));
  }

  @Mutation(() => TrustedIssuerModel, { description: "Replaces a trusted issuer's settings and rules." })
  async updateTrustedIssuer(
    @Args('id', { type: () => ID }) id: string,
    @Args('input') input: TrustedIssuerInput,
    @CurrentActor() actor: Actor,
  ) {
    return TrustedIssuerModel.from(await this.service.update(id, { ...input, rules: toRules(input.rules) }, actor));
  }

  @Mutation(() => TrustedIssuerModel)
  async deleteTrustedIssuer(@Args('id', { type: () => ID }) id: string, @CurrentActor() actor: Actor) {
    return TrustedIssuerModel.from(await this.service.delete(id, actor));
  }
}
