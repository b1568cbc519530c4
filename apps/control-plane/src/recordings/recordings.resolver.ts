import { Args, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { Roles } from '../platform/auth/roles.decorator.js';
import { RecordingPageModel, RecordingVerificationModel } from './dto/recording.model.js';
import { RecordingReplayService } from './recording-replay.service.js';

/** Admins and auditors read every recording; other callers only those of their own sessions. */
@Resolver()
export class RecordingsResolver {
  constructor(private readonly replay: RecordingReplayService) {}

  @Query(() => RecordingPageModel, { description: "A page of a session recording's events, by chunks." })
  @Roles('auditor', 'user')
  async sessionRecording(
    @Args('sessionId', { type: () => ID }) sessionId: string,
    @CurrentActor() actor: Actor,
    @Args('afterSeq', { type: () => Int, nullable: true, description: 'Chunks after this seq (omit: from the start).' })
    afterSeq?: number | null,
    @Args('limit', { type: () => Int, nullable: true, description: 'Chunks per page: 20 by default, at most 100.' })
    limit?: number | null,
  ) {
    return RecordingPageModel.from(await this.replay.page(actor, sessionId, afterSeq, limit));
  }

  @Query(() => RecordingVerificationModel, {
    description: 'Recomputes the recording hash chain over the stored chunks and names every problem by seq.',
  })
  @Roles('auditor', 'user')
  async verifySessionRecording(@Args('sessionId', { type: () => ID }) sessionId: string, @CurrentActor() actor: Actor) {
    return RecordingVerificationModel.from(await this.replay.verify(actor, sessionId));
  }
}
