import { Args, ID, Resolver, Subscription } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { Roles } from '../platform/auth/roles.decorator.js';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../platform/errors/domain-error.js';
import { LiveEvents } from '../platform/live/live-events.js';
import type { LiveQueue } from '../platform/live/live-queue.js';
import { liveValue } from '../platform/live/live-value.js';
import { RecordingEventModel } from './dto/recording.model.js';
import { RecordingReplayService } from './recording-replay.service.js';
import type { ReplayEvent } from './recording.types.js';
import { decodeTail, sessionEventsTopic } from './session-tail.js';

/** Live tail of a session's recording, as the control plane commits its chunks. */
@Resolver()
export class SessionEventsResolver {
  constructor(
    private readonly replay: RecordingReplayService,
    private readonly live: LiveEvents,
    private readonly audit: AuditService,
  ) {}

  @Subscription(() => RecordingEventModel, {
    description:
      "Events of a session's recording as its chunks are committed, from now on (read what came before with " +
      'sessionRecording); ends after the final chunk. Admins and auditors, or the session’s own principal.',
    resolve: liveValue(RecordingEventModel.from),
  })
  @Roles('auditor', 'user')
  async sessionEvents(
    @Args('sessionId', { type: () => ID }) sessionId: string,
    @CurrentActor() actor: Actor,
  ): Promise<LiveQueue<ReplayEvent>> {
    const session = await this.replay.readable(actor, sessionId);
    if (session.completedAt || session.purgedAt) {
      throw new DomainError('FAILED_PRECONDITION', 'the recording is complete: read it with sessionRecording');
    }
    const tail = await this.live.listen(sessionEventsTopic(session.id), { decode: decodeTail });
    await this.audit.record({
      kind: 'recording.tailed',
      actorId: actor.id,
      actorKind: actor.kind === 'admin-token' ? 'admin' : actor.kind,
      sessionId: session.id,
    });
    return tail;
  }
}
