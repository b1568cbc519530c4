import { Args, Query, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { PolicySimulationModel, SimulatePolicyInput } from './dto/simulation.model.js';
import { SimulationService } from './simulation.service.js';

/** Policy simulation. Admins only (no @Roles: the guard's default): it reads every recording. */
@Resolver()
export class SimulationResolver {
  constructor(private readonly service: SimulationService) {}

  @Query(() => PolicySimulationModel, {
    description:
      'Replays the statements recorded from `from` to `to` against proposed rules: what they would block or hold, against what was done.',
  })
  async simulatePolicy(@Args('input') input: SimulatePolicyInput, @CurrentActor() actor: Actor) {
    const result = await this.service.simulate(actor, {
      from: input.from,
      to: input.to,
      connectionIds: input.connectionIds ?? [],
      guardrails: input.guardrails ?? [],
      approvalRules: input.approvalRules ?? [],
      maskingRules: input.maskingRules ?? [],
      maxSessions: input.maxSessions,
      maxStatements: input.maxStatements,
    });
    return PolicySimulationModel.from(result);
  }
}
