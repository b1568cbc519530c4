import { Injectable } from '@nestjs/common';
import { requireUuid } from '../platform/common/validation.js';
import { NotFoundError } from '../platform/errors/domain-error.js';
import { verifyChain } from './chain-verification.js';
import { RecordingsRepository } from './recordings.repository.js';
import type { RecordingVerification } from './recording.types.js';

/** Recomputes a stored recording's hash chain: the GraphQL API and the CLI use this. */
@Injectable()
export class RecordingVerifier {
  constructor(private readonly repository: RecordingsRepository) {}

  async verify(sessionId: string): Promise<RecordingVerification> {
    const id = requireUuid(sessionId, 'session id').toLowerCase();
    const session = await this.repository.findSession(id);
    if (!session) throw new NotFoundError('session', sessionId);
    const complete = session.completedAt !== null;
    if (session.purgedAt) {
      return { sessionId: id, ok: true, chunks: 0, complete, purged: true, headHash: null, problems: [] };
    }
    const verdict = await verifyChain(
      id,
      { chunks: session.chunks, complete },
      { heads: () => this.repository.heads(id), chunks: (seqs) => this.repository.chunks(id, seqs) },
    );
    return {
      sessionId: id,
      ok: verdict.problems.length === 0,
      chunks: verdict.chunks,
      complete,
      purged: false,
      headHash: verdict.headHash?.toString('hex') ?? null,
      problems: verdict.problems,
    };
  }
}
