import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import type { RecordingPage, RecordingProblem, RecordingVerification, ReplayEvent } from '../recording.types.js';

@ObjectType('RecordingEvent', { description: 'One event of a session recording (one JSON line of a chunk).' })
export class RecordingEventModel {
  @Field(() => Int, { description: 'The chunk it came in.' }) seq!: number;
  @Field(() => Int, { description: 'Its line within the chunk, from 0.' }) index!: number;
  @Field() at!: Date;
  @Field({ description: 'e.g. session.start, statement, decision, recording.gap, session.end' }) type!: string;
  @Field({ description: 'The event as the agent recorded it (a JSON object).' }) json!: string;

  static from(e: ReplayEvent): RecordingEventModel {
    return Object.assign(new RecordingEventModel(), e);
  }
}

@ObjectType('RecordingPage', { description: 'Events of consecutive chunks of a session recording, in order.' })
export class RecordingPageModel {
  @Field(() => ID) sessionId!: string;
  @Field(() => [RecordingEventModel]) events!: RecordingEventModel[];
  @Field(() => Int, {
    nullable: true,
    description:
      'The next chunk to read: ask again with afterSeq = nextSeq - 1. Null once the recording is complete and every chunk was returned.',
  })
  nextSeq!: number | null;
  @Field({ description: 'The agent committed the final chunk.' }) complete!: boolean;
  @Field({ description: 'The agent cut the recording short (its last event says so).' }) truncated!: boolean;
  @Field({ description: 'Retention deleted the recording.' }) purged!: boolean;

  static from(p: RecordingPage): RecordingPageModel {
    return Object.assign(new RecordingPageModel(), { ...p, events: p.events.map(RecordingEventModel.from) });
  }
}

@ObjectType('RecordingProblem')
export class RecordingProblemModel {
  @Field(() => Int) seq!: number;
  @Field({ description: 'missing, modified, reordered or after_final' }) problem!: string;
  @Field() detail!: string;

  static from(p: RecordingProblem): RecordingProblemModel {
    return Object.assign(new RecordingProblemModel(), p);
  }
}

@ObjectType('RecordingVerification', {
  description: "The recording's hash chain recomputed from its seed over the stored chunks.",
})
export class RecordingVerificationModel {
  @Field(() => ID) sessionId!: string;
  @Field({ description: 'No problem found.' }) ok!: boolean;
  @Field(() => Int, { description: 'Chunks stored and checked.' }) chunks!: number;
  @Field() complete!: boolean;
  @Field() purged!: boolean;
  @Field(() => String, {
    nullable: true,
    description: 'Hex chain hash of the last stored chunk (the recording.completed audit event holds the final one).',
  })
  headHash!: string | null;
  @Field(() => [RecordingProblemModel]) problems!: RecordingProblemModel[];

  static from(v: RecordingVerification): RecordingVerificationModel {
    return Object.assign(new RecordingVerificationModel(), {
      ...v,
      problems: v.problems.map(RecordingProblemModel.from),
    });
  }
}
