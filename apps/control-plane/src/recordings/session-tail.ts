import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { LiveEvents } from '../platform/live/live-events.js';
import { parseEventLines } from './recording-chain.js';
import type { IncomingChunk, ReplayEvent } from './recording.types.js';

/** The live topic of one session's recording events (the sessionEvents subscription). */
export function sessionEventsTopic(sessionId: string): string {
  return `session-events:${sessionId.toLowerCase()}`;
}

/** One committed chunk as published on the session's topic. */
interface TailMessage {
  seq: number;
  final: boolean;
  events: Array<{ index: number; at: number; type: string; json: string }>;
}

/**
 * Live tail of recordings: each committed chunk's events are published on the session's topic,
 * in commit order, but only while some replica has a subscriber for it (recordings are large and
 * nearly always unwatched). Never fails the commit: a Redis problem costs live viewers events,
 * not the recording.
 */
@Injectable()
export class SessionTail {
  constructor(
    private readonly live: LiveEvents,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async committed(chunk: IncomingChunk): Promise<void> {
    const topic = sessionEventsTopic(chunk.sessionId);
    try {
      if (!(await this.live.hasListeners(topic))) return;
      const message: TailMessage = {
        seq: chunk.seq,
        final: chunk.final,
        events: parseEventLines(chunk.data).map((e) => ({
          index: e.index,
          at: e.at.getTime(),
          type: e.type,
          json: e.json,
        })),
      };
      await this.live.publish(topic, JSON.stringify(message));
    } catch (error) {
      this.logger.warn({ err: error, sessionId: chunk.sessionId, seq: chunk.seq }, 'live tail not published');
    }
  }
}

/** A published chunk back to the events it holds; the final chunk ends the tail. */
export function decodeTail(message: string): { items: ReplayEvent[]; last: boolean } {
  const tail = JSON.parse(message) as TailMessage;
  return {
    items: tail.events.map((e) => ({ seq: tail.seq, index: e.index, at: new Date(e.at), type: e.type, json: e.json })),
    last: tail.final,
  };
}
