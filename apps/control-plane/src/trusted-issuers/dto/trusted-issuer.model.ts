import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { ClaimCondition, ClaimMappingRule } from '@postern/oidc';
import { InvalidArgumentError } from '../../platform/errors/domain-error.js';
import type { TrustedIssuer } from '../trusted-issuers.types.js';

@ObjectType('ClaimCondition', { description: 'One condition on one claim: exactly one of equals, glob, oneOf is set.' })
export class ClaimConditionModel {
  @Field({ description: 'Claim name or dotted path (kubernetes.io.namespace).' }) claim!: string;
  @Field(() => String, { nullable: true }) equals!: string | null;
  @Field(() => String, { nullable: true, description: '"*" matches within a path segment, "**" across.' })
  glob!: string | null;
  @Field(() => [String], { nullable: true }) oneOf!: string[] | null;

  static from(condition: ClaimCondition): ClaimConditionModel {
    return Object.assign(new ClaimConditionModel(), {
      claim: condition.claim,
      equals: 'equals' in condition ? condition.equals : null,
      glob: 'glob' in condition ? condition.glob : null,
      oneOf: 'oneOf' in condition ? [...condition.oneOf] : null,
    });
  }
}

@ObjectType('ClaimMappingRule')
export class ClaimMappingRuleModel {
  @Field(() => [ClaimConditionModel]) conditions!: ClaimConditionModel[];
  @Field({ description: 'Template of the machine identity name, e.g. gha:{repository}@{ref}.' }) identity!: string;
  @Field(() => [String], { description: 'Group names (templates allowed).' }) groups!: string[];
}

@ObjectType('TrustedIssuer', {
  description: 'A token issuer trusted for machine identities; its tokens are only exchanged at POST /oauth/token.',
})
export class TrustedIssuerModel {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() issuer!: string;
  @Field(() => String, { nullable: true, description: "Null: from the issuer's discovery document." })
  jwksUri!: string | null;
  @Field(() => [String]) audiences!: string[];
  @Field(() => [String]) allowedAlgorithms!: string[];
  @Field() enabled!: boolean;
  @Field(() => [ClaimMappingRuleModel]) rules!: ClaimMappingRuleModel[];
  @Field(() => Int) ruleCount!: number;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;

  static from(issuer: TrustedIssuer): TrustedIssuerModel {
    return Object.assign(new TrustedIssuerModel(), {
      ...issuer,
      ruleCount: issuer.rules.length,
      rules: issuer.rules.map((rule) => ({
        conditions: rule.conditions.map((c) => ClaimConditionModel.from(c)),
        identity: rule.identity,
        groups: [...rule.groups],
      })),
    });
  }
}

@InputType('ClaimConditionInput')
export class ClaimConditionInput {
  @Field() claim!: string;
  @Field(() => String, { nullable: true }) equals?: string | null;
  @Field(() => String, { nullable: true }) glob?: string | null;
  @Field(() => [String], { nullable: true }) oneOf?: string[] | null;
}

@InputType('ClaimMappingRuleInput')
export class ClaimMappingRuleInput {
  @Field(() => [ClaimConditionInput]) conditions!: ClaimConditionInput[];
  @Field() identity!: string;
  @Field(() => [String]) groups!: string[];
}

@InputType('TrustedIssuerInput')
export class TrustedIssuerInput {
  @Field() name!: string;
  @Field({ description: "Compared exactly with tokens' iss." }) issuer!: string;
  @Field(() => String, { nullable: true }) jwksUri?: string | null;
  @Field(() => [String]) audiences!: string[];
  @Field(() => [String], { nullable: true }) allowedAlgorithms?: string[] | null;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
  @Field(() => [ClaimMappingRuleInput]) rules!: ClaimMappingRuleInput[];
}

/** GraphQL input to the library's rule shape: a condition with none or several operators is refused. */
export function toRules(rules: ClaimMappingRuleInput[]): ClaimMappingRule[] {
  return rules.map((rule) => ({
    identity: rule.identity,
    groups: rule.groups,
    conditions: rule.conditions.map((c): ClaimCondition => {
      const set = [c.equals, c.glob, c.oneOf].filter((v) => v !== null && v !== undefined).length;
      if (set !== 1)
        throw new InvalidArgumentError(`condition on "${c.claim}": give exactly one of equals, glob, oneOf`);
      if (c.equals !== null && c.equals !== undefined) return { claim: c.claim, equals: c.equals };
      if (c.glob !== null && c.glob !== undefined) return { claim: c.claim, glob: c.glob };
      return { claim: c.claim, oneOf: c.oneOf! };
    }),
  }));
}
