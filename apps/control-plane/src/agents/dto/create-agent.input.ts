import { Field, ID, InputType } from '@nestjs/graphql';

@InputType('LabelInput')
export class LabelInput {
  @Field() key!: string;
  @Field() value!: string;
}

@InputType('CreateAgentInput')
export class CreateAgentInput {
  @Field({ description: 'Unique, DNS-label style: lowercase letters, digits and "-".' })
  name!: string;
  @Field(() => [LabelInput], { nullable: true })
  labels?: LabelInput[] | null;
  @Field(() => ID, { nullable: true, description: 'Make the agent a replica in this agent group.' })
  agentGroupId?: string | null;
}
