import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { MaskingSpec, StatementMatch } from '@postern/policy';
import type { ApprovalRule, Guardrail, MaskingRule } from '../rule.types.js';

// The rule bodies are typed GraphQL objects mirroring libs/policy's StatementMatch and
// MaskingSpec, so a dashboard gets them from introspection; libs/policy validates them (the same
// code the agents run) and its errors name the field, e.g. "match.relations[2]: ...".

@ObjectType('StatementMatch', {
  description:
    'Which statements a guardrail or approval rule matches: every condition set must hold; a list holds when any entry matches.',
})
export class StatementMatchModel {
  @Field(() => [String], {
    nullable: true,
    description: 'e.g. "DROP", "DROP TABLE", "TRUNCATE", "DELETE", "COPY", "DO".',
  })
  statementKinds?: string[];
  @Field(() => [String], {
    nullable: true,
    description: 'Relation patterns: "orders", "public.orders", "audit.*", "*".',
  })
  relations?: string[];
  @Field(() => [String], { nullable: true, description: 'Schema patterns, e.g. "pg_catalog".' })
  schemas?: string[];
  @Field(() => [String], { nullable: true, description: 'Function patterns, e.g. "pg_read_file", "dblink*".' })
  functions?: string[];
  @Field(() => Boolean, {
    nullable: true,
    description:
      'UPDATE/DELETE/MERGE without WHERE (or with a constant-true WHERE); an upsert of rows from a query whose DO UPDATE has none.',
  })
  missingWhere?: boolean;
  @Field(() => Boolean, { nullable: true, description: 'COPY … TO/FROM PROGRAM.' })
  copyProgram?: boolean;
  @Field(() => Boolean, { nullable: true, description: 'Dynamic SQL whose text cannot be resolved.' })
  unresolvedDynamicSql?: boolean;
  @Field(() => Boolean, {
    nullable: true,
    description:
      'Calls a function that is not a PostgreSQL built-in (extensions, functions created earlier, pg_temp): its body was never checked.',
  })
  userFunctions?: boolean;
  @Field(() => [String], {
    nullable: true,
    description:
      "Conditions of the rule's dialect (MySQL: executableComment, multiStatement, unparsable, loadData, localFile, serverFile, writesFile, prepared, systemVariable, globalVariable, sqlMode, binlog); any one holds.",
  })
  flags?: string[];

  static from(match: StatementMatch): StatementMatchModel {
    return Object.assign(new StatementMatchModel(), match);
  }
}

@InputType('StatementMatchInput')
export class StatementMatchInput {
  @Field(() => [String], { nullable: true }) statementKinds?: string[] | null;
  @Field(() => [String], { nullable: true }) relations?: string[] | null;
  @Field(() => [String], { nullable: true }) schemas?: string[] | null;
  @Field(() => [String], { nullable: true }) functions?: string[] | null;
  @Field(() => Boolean, { nullable: true }) missingWhere?: boolean | null;
  @Field(() => Boolean, { nullable: true }) copyProgram?: boolean | null;
  @Field(() => Boolean, { nullable: true }) unresolvedDynamicSql?: boolean | null;
  @Field(() => Boolean, { nullable: true }) userFunctions?: boolean | null;
  @Field(() => [String], { nullable: true }) flags?: string[] | null;
}

@ObjectType('MaskingPattern')
export class MaskingPatternModel {
  @Field() name!: string;
  @Field() regex!: string;
}

@InputType('MaskingPatternInput')
export class MaskingPatternInput {
  @Field() name!: string;
  @Field() regex!: string;
}

@ObjectType('MaskingSpec', { description: 'What a masking rule masks, and how.' })
export class MaskingSpecModel {
  @Field(() => [String], {
    nullable: true,
    description: 'Column patterns: "email", "customers.email", "public.customers.card_*", "*_token".',
  })
  columns?: string[];
  @Field(() => [String], {
    nullable: true,
    description: 'Value detectors: email, payment_card, iban, phone, national_id, secret.',
  })
  detectors?: string[];
  @Field(() => [MaskingPatternModel], { nullable: true, description: 'Custom value detectors (regular expressions).' })
  customPatterns?: MaskingPatternModel[];
  @Field({ description: 'redact, partial or hash' }) style!: string;

  static from(spec: MaskingSpec): MaskingSpecModel {
    return Object.assign(new MaskingSpecModel(), spec);
  }
}

@InputType('MaskingSpecInput')
export class MaskingSpecInput {
  @Field(() => [String], { nullable: true }) columns?: string[] | null;
  @Field(() => [String], { nullable: true }) detectors?: string[] | null;
  @Field(() => [MaskingPatternInput], { nullable: true }) customPatterns?: MaskingPatternInput[] | null;
  @Field({ description: 'redact, partial or hash' }) style!: string;
}

@ObjectType('Guardrail', { description: 'Blocks matching statements; the session continues.' })
export class GuardrailModel {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field({
    description: 'The protocol whose analyser validated the rule and whose sessions it applies to, e.g. "postgres".',
  })
  dialect!: string;
  @Field(() => [ID], { description: 'Empty: every connection.' }) connectionIds!: string[];
  @Field(() => [String], { description: 'Whose statements it applies to; empty: everyone.' }) groups!: string[];
  @Field(() => StatementMatchModel) match!: StatementMatchModel;
  @Field() enabled!: boolean;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;

  static from(rule: Guardrail): GuardrailModel {
    return Object.assign(new GuardrailModel(), rule, { match: StatementMatchModel.from(rule.match) });
  }
}

@ObjectType('ApprovalRule', { description: 'Holds matching statements until approvers decide (a COMMAND review).' })
export class ApprovalRuleModel {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field({
    description: 'The protocol whose analyser validated the rule and whose sessions it applies to, e.g. "postgres".',
  })
  dialect!: string;
  @Field(() => [ID], { description: 'Empty: every connection.' }) connectionIds!: string[];
  @Field(() => [String], { description: 'Whose statements are held; empty: everyone.' }) groups!: string[];
  @Field(() => StatementMatchModel) match!: StatementMatchModel;
  @Field(() => [String], { description: 'Who may decide (they also need the approver role).' })
  approverGroups!: string[];
  @Field(() => Int, { description: 'Distinct approvals needed, 1 to 5.' }) requiredApprovals!: number;
  @Field(() => Int, { description: 'How long a held statement waits before it expires (rejected).' })
  timeoutSeconds!: number;
  @Field() enabled!: boolean;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;

  static from(rule: ApprovalRule): ApprovalRuleModel {
    return Object.assign(new ApprovalRuleModel(), rule, { match: StatementMatchModel.from(rule.match) });
  }
}

@ObjectType('MaskingRule', { description: 'Masks columns and detected values in result rows, in flight.' })
export class MaskingRuleModel {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field({
    description: 'The protocol whose analyser validated the rule and whose sessions it applies to, e.g. "postgres".',
  })
  dialect!: string;
  @Field(() => [ID], { description: 'Empty: every connection.' }) connectionIds!: string[];
  @Field(() => [String], { description: 'Groups that see unmasked values.' }) exemptGroups!: string[];
  @Field(() => MaskingSpecModel) spec!: MaskingSpecModel;
  @Field() enabled!: boolean;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;

  static from(rule: MaskingRule): MaskingRuleModel {
    return Object.assign(new MaskingRuleModel(), rule, { spec: MaskingSpecModel.from(rule.spec) });
  }
}

@InputType('CreateGuardrailInput')
export class CreateGuardrailInput {
  @Field() name!: string;
  @Field(() => String, {
    nullable: true,
    description: 'The protocol whose analyser validates the rule, e.g. "postgres" (the default when absent).',
  })
  dialect?: string | null;
  @Field(() => [ID], { nullable: true, description: 'Empty or absent: every connection.' }) connectionIds?:
    string[] | null;
  @Field(() => [String], { nullable: true, description: 'Empty or absent: everyone.' }) groups?: string[] | null;
  @Field(() => StatementMatchInput) match!: StatementMatchInput;
  @Field(() => Boolean, { nullable: true, description: 'Default true.' }) enabled?: boolean | null;
}

@InputType('UpdateGuardrailInput', { description: 'Fields left out (or null) keep their value.' })
export class UpdateGuardrailInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) dialect?: string | null;
  @Field(() => [ID], { nullable: true }) connectionIds?: string[] | null;
  @Field(() => [String], { nullable: true }) groups?: string[] | null;
  @Field(() => StatementMatchInput, { nullable: true }) match?: StatementMatchInput | null;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
}

@InputType('CreateApprovalRuleInput')
export class CreateApprovalRuleInput extends CreateGuardrailInput {
  @Field(() => [String]) approverGroups!: string[];
  @Field(() => Int, { nullable: true, description: '1 to 5; default 1.' }) requiredApprovals?: number | null;
  @Field(() => Int, {
    nullable: true,
    description: 'Seconds, from POSTERN_APPROVAL_MIN_TIMEOUT_SECONDS (default 10) to 86400; default 300.',
  })
  timeoutSeconds?: number | null;
}

@InputType('UpdateApprovalRuleInput', { description: 'Fields left out (or null) keep their value.' })
export class UpdateApprovalRuleInput extends UpdateGuardrailInput {
  @Field(() => [String], { nullable: true }) approverGroups?: string[] | null;
  @Field(() => Int, { nullable: true }) requiredApprovals?: number | null;
  @Field(() => Int, { nullable: true }) timeoutSeconds?: number | null;
}

@InputType('CreateMaskingRuleInput')
export class CreateMaskingRuleInput {
  @Field() name!: string;
  @Field(() => String, {
    nullable: true,
    description: 'The protocol whose analyser validates the rule, e.g. "postgres" (the default when absent).',
  })
  dialect?: string | null;
  @Field(() => [ID], { nullable: true, description: 'Empty or absent: every connection.' }) connectionIds?:
    string[] | null;
  @Field(() => [String], { nullable: true, description: 'Groups that see unmasked values.' }) exemptGroups?:
    string[] | null;
  @Field(() => MaskingSpecInput) spec!: MaskingSpecInput;
  @Field(() => Boolean, { nullable: true, description: 'Default true.' }) enabled?: boolean | null;
}

@InputType('UpdateMaskingRuleInput', { description: 'Fields left out (or null) keep their value.' })
export class UpdateMaskingRuleInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) dialect?: string | null;
  @Field(() => [ID], { nullable: true }) connectionIds?: string[] | null;
  @Field(() => [String], { nullable: true }) exemptGroups?: string[] | null;
  @Field(() => MaskingSpecInput, { nullable: true }) spec?: MaskingSpecInput | null;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
}
