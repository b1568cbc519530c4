import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { CreateApprovalRuleInput, CreateGuardrailInput, CreateMaskingRuleInput } from '../../rules/dto/rule.model.js';
import type {
  DecisionChanges,
  MaskingRuleOutcome,
  MaskingScopeExample,
  PolicySimulation,
  RuleExample,
  SimulationTotals,
  StatementRuleOutcome,
} from '../simulation.types.js';

@InputType('SimulatePolicyInput', {
  description:
    'Proposed rules (the inputs of createGuardrail, createApprovalRule, createMaskingRule, validated the same way) and the recorded history to replay them on.',
})
export class SimulatePolicyInput {
  @Field({ description: 'Statements recorded at or after this instant.' }) from!: Date;
  @Field({ description: 'Statements recorded before this instant.' }) to!: Date;
  @Field(() => [ID], { nullable: true, description: 'Only sessions on these connections; absent: every one.' })
  connectionIds?: string[] | null;
  @Field(() => [CreateGuardrailInput], { nullable: true }) guardrails?: CreateGuardrailInput[] | null;
  @Field(() => [CreateApprovalRuleInput], { nullable: true }) approvalRules?: CreateApprovalRuleInput[] | null;
  @Field(() => [CreateMaskingRuleInput], { nullable: true }) maskingRules?: CreateMaskingRuleInput[] | null;
  @Field(() => Int, { nullable: true, description: 'Sessions replayed at most: default 200, up to 1000.' })
  maxSessions?: number | null;
  @Field(() => Int, { nullable: true, description: 'Statements evaluated at most: default 20000, up to 100000.' })
  maxStatements?: number | null;
}

@ObjectType('SimulationExample')
export class SimulationExampleModel {
  @Field(() => ID) sessionId!: string;
  @Field() at!: Date;
  @Field({ description: 'The recorded SQL, cut to 200 characters.' }) sql!: string;
  @Field({ description: 'What matched, as libs/policy words it.' }) reason!: string;
  @Field({ description: 'What the policy then in force did: allowed, held or blocked.' }) recorded!: string;

  static from(e: RuleExample): SimulationExampleModel {
    return Object.assign(new SimulationExampleModel(), e);
  }
}

@ObjectType('SimulatedStatementRule', { description: 'What one proposed guardrail or approval rule would have done.' })
export class SimulatedStatementRuleModel {
  @Field(() => Int, { description: 'Its position in the input list.' }) index!: number;
  @Field() name!: string;
  @Field({ description: 'Disabled rules are not evaluated.' }) enabled!: boolean;
  @Field(() => Int, { description: 'Statements it would block (guardrail) or hold (approval rule).' })
  statements!: number;
  @Field(() => Int) sessions!: number;
  @Field(() => [SimulationExampleModel], { description: 'Up to 5.' }) examples!: SimulationExampleModel[];

  static from(o: StatementRuleOutcome): SimulatedStatementRuleModel {
    return Object.assign(new SimulatedStatementRuleModel(), o, {
      examples: o.examples.map(SimulationExampleModel.from),
    });
  }
}

@ObjectType('MaskingScopeExample')
export class MaskingScopeExampleModel {
  @Field(() => ID) sessionId!: string;
  @Field(() => ID) connectionId!: string;
  @Field({ description: "The principal's name (or id)." }) principal!: string;

  static from(e: MaskingScopeExample): MaskingScopeExampleModel {
    return Object.assign(new MaskingScopeExampleModel(), e);
  }
}

@ObjectType('SimulatedMaskingRule', {
  description: 'Where a proposed masking rule would apply. Result values are not recorded, so they are not re-masked.',
})
export class SimulatedMaskingRuleModel {
  @Field(() => Int) index!: number;
  @Field() name!: string;
  @Field() enabled!: boolean;
  @Field(() => Int, { description: 'Sessions in its scope (connection, principal not exempt).' }) sessions!: number;
  @Field(() => Int, { description: 'Statements run in those sessions.' }) statements!: number;
  @Field(() => [MaskingScopeExampleModel], { description: 'Up to 5.' }) examples!: MaskingScopeExampleModel[];

  static from(o: MaskingRuleOutcome): SimulatedMaskingRuleModel {
    return Object.assign(new SimulatedMaskingRuleModel(), o, {
      examples: o.examples.map(MaskingScopeExampleModel.from),
    });
  }
}

@ObjectType('SimulationTotals', { description: 'Statements by simulated decision.' })
export class SimulationTotalsModel {
  @Field(() => Int) allowed!: number;
  @Field(() => Int) blocked!: number;
  @Field(() => Int) held!: number;
  @Field(() => Int, { description: 'The recorded SQL does not parse (or was cut when recorded).' }) invalid!: number;

  static from(t: SimulationTotals): SimulationTotalsModel {
    return Object.assign(new SimulationTotalsModel(), t);
  }
}

@ObjectType('SimulationChanges', {
  description: 'Recorded decisions (the policy then in force) against simulated ones.',
})
export class SimulationChangesModel {
  @Field(() => Int, { description: 'Recorded as blocked (or held and then refused).' }) recordedBlocked!: number;
  @Field(() => Int, { description: 'Recorded as held, then approved.' }) recordedHeld!: number;
  @Field(() => Int, { description: 'Would be blocked; were not blocked.' }) newlyBlocked!: number;
  @Field(() => Int, { description: 'Would be held; ran without approval.' }) newlyHeld!: number;
  @Field(() => Int, { description: 'Would be allowed; were blocked or held.' }) newlyAllowed!: number;

  static from(c: DecisionChanges): SimulationChangesModel {
    return Object.assign(new SimulationChangesModel(), c);
  }
}

@ObjectType('PolicySimulation', { description: 'Proposed rules replayed on recorded statements.' })
export class PolicySimulationModel {
  @Field() from!: Date;
  @Field() to!: Date;
  @Field(() => Int, { description: 'Sessions replayed.' }) sessions!: number;
  @Field(() => Int) sessionsWithoutRecording!: number;
  @Field(() => Int, { description: 'Sessions without session.start: evaluated without groups.' })
  sessionsWithoutGroups!: number;
  @Field(() => Int, { description: 'Statements evaluated.' }) statements!: number;
  @Field({ description: 'A limit stopped the replay early: the numbers cover part of the window.' })
  truncated!: boolean;
  @Field(() => SimulationTotalsModel) totals!: SimulationTotalsModel;
  @Field(() => SimulationChangesModel) changes!: SimulationChangesModel;
  @Field(() => [SimulatedStatementRuleModel]) guardrails!: SimulatedStatementRuleModel[];
  @Field(() => [SimulatedStatementRuleModel]) approvalRules!: SimulatedStatementRuleModel[];
  @Field(() => [SimulatedMaskingRuleModel]) maskingRules!: SimulatedMaskingRuleModel[];
  @Field(() => [String], { description: 'What the simulation cannot tell.' }) notes!: string[];

  static from(s: PolicySimulation): PolicySimulationModel {
    return Object.assign(new PolicySimulationModel(), s, {
      totals: SimulationTotalsModel.from(s.totals),
      changes: SimulationChangesModel.from(s.changes),
      guardrails: s.guardrails.map(SimulatedStatementRuleModel.from),
      approvalRules: s.approvalRules.map(SimulatedStatementRuleModel.from),
      maskingRules: s.maskingRules.map(SimulatedMaskingRuleModel.from),
    });
  }
}
