import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { hasRole, type Actor } from '../platform/auth/actor.js';
import { UUID } from '../platform/common/validation.js';
import { DomainError, InvalidArgumentError, NotFoundError } from '../platform/errors/domain-error.js';
import { InvalidEventError, parseEventLines } from './recording-chain.js';
import { RecordingVerifier } from './recording-verifier.js';
import { RecordingsRepository } from './recordings.repository.js';
import type { RecordingPage, RecordingSession, RecordingVerification, ReplayEvent } from './recording.types.js';

const DEFAULT_PAGE_CHUNKS = 20;
const MAX_PAGE_CHUNKS = 100;
/** A page stops adding chunks past this many bytes of data (it always holds at least one). */
const MAX_PAGE_BYTES = 8 * 1024 * 1024;

/**
 * Reading recordings: admins and auditors read every session's, anyone else only their own
 * sessions'. A session someone may not read is reported as not found, like one that does not exist.
 */
@Injectable()
export class RecordingReplayService {
  constructor(
    private readonly repository: RecordingsRepository,
    private readonly verifier: RecordingVerifier,
    private readonly audit: AuditService,
  ) {}

  /** Events of up to `limit` chunks after `afterSeq`, in order. */
  async page(actor: Actor, sessionId: string, afterSeq?: number | null, limit?: number | null): Promise<RecordingPage> {
    const session = await this.readable(actor, sessionId);
    const after = afterSeq ?? -1;
    if (!Number.isInteger(after) || after < -1) throw new InvalidArgumentError('afterSeq must be -1 or more');
    const take = Math.min(Math.max(limit ?? DEFAULT_PAGE_CHUNKS, 1), MAX_PAGE_CHUNKS);
    if (afterSeq === null || afterSeq === undefined) {
      await this.audit.record({ kind: 'recording.viewed', ...auditActor(actor), sessionId: session.id });
    }
    const purged = session.purgedAt !== null;
    const complete = session.completedAt !== null;
    const sizes = purged ? [] : await this.repository.sizesAfter(session.id, after, take + 1);
    const seqs: number[] = [];
    let bytes = 0;
    for (const { seq, size } of sizes.slice(0, take)) {
      if (seqs.length > 0 && bytes + size > MAX_PAGE_BYTES) break;
      seqs.push(seq);
      bytes += size;
    }
    const events: ReplayEvent[] = [];
    for (const chunk of seqs.length > 0 ? await this.repository.chunks(session.id, seqs) : []) {
      try {
        for (const line of parseEventLines(chunk.data)) {
          events.push({ seq: chunk.seq, index: line.index, at: line.at, type: line.type, json: line.json });
        }
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        throw new DomainError(
          'FAILED_PRECONDITION',
          `chunk ${chunk.seq} cannot be read (${error.message}); run verifySessionRecording`,
        );
      }
    }
    const lastSeq = seqs.at(-1) ?? after;
    const moreStored = sizes.length > seqs.length;
    return {
      sessionId: session.id,
      events,
      nextSeq: moreStored || (!complete && !purged) ? lastSeq + 1 : null,
      complete,
      truncated: session.truncated,
      purged,
    };
  }

  async verify(actor: Actor, sessionId: string): Promise<RecordingVerification> {
    const session = await this.readable(actor, sessionId);
    const verification = await this.verifier.verify(session.id);
    await this.audit.record({
      kind: 'recording.verified',
      ...auditActor(actor),
      sessionId: session.id,
      decision: verification.ok ? 'ok' : 'tampered',
      details: { chunks: verification.chunks, problems: verification.problems.length },
    });
    return verification;
  }

  /** The session, when `actor` may read its recording; NOT_FOUND otherwise (also for live tails). */
  async readable(actor: Actor, sessionId: string): Promise<RecordingSession> {
    const session = UUID.test(sessionId) ? await this.repository.findSession(sessionId.toLowerCase()) : null;
    if (!session) throw new NotFoundError('session', sessionId);
    if (hasRole(actor, ['auditor'])) return session;
    const own = await this.repository.principalIdsOf(actor);
    if (!own.includes(session.principalId)) throw new NotFoundError('session', sessionId);
    return session;
  }
}

function auditActor(actor: Actor) {
  const actorKind = actor.kind === 'admin-token' ? 'admin' : actor.kind;
  return { actorId: actor.id, actorKind } as const;
}
