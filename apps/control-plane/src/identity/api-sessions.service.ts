import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { AuditService } from '../audit/audit.service.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { RedisService } from '../platform/infra/redis/redis.service.js';
import { ApiSessionsRepository } from './api-sessions.repository.js';

/** Published when a session ends, so every replica closes the WebSockets opened with its token. */
const SESSION_ENDED_CHANNEL = 'api-session-ended';

/**
 * Server-side sessions for browser sign-in. The cookie carries the access token; the session row
 * (by the token's digest) is what logout ends. An ended session's token is refused by the API
 * from then on, by every replica — over HTTP (the authenticator asks here) and WebSocket (open
 * sockets are closed through Redis, new ones are refused at connection_init) — until it expires
 * anyway. Tokens that never came from a browser sign-in (CLI, machines) have no session and are
 * governed by their own expiry.
 */
@Injectable()
export class ApiSessionsService implements OnModuleInit {
  private readonly listeners: Array<(tokenDigest: string) => void> = [];

  constructor(
    private readonly repository: ApiSessionsRepository,
    private readonly audit: AuditService,
    private readonly redis: RedisService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.redis.subscribeJson<{ tokenDigest: string }>(SESSION_ENDED_CHANNEL, (message) => {
      if (typeof message?.tokenDigest !== 'string') return;
      for (const listener of this.listeners) listener(message.tokenDigest);
    });
  }

  async start(userId: string, accessToken: string, expiresAt: Date): Promise<void> {
    await this.repository.start({ userId, tokenDigest: tokenDigest(accessToken), expiresAt });
  }

  isEnded(accessToken: string): Promise<boolean> {
    return this.repository.isEnded(tokenDigest(accessToken));
  }

  /** Logout: ends the session of this token (if it is one), audited, and tells every replica. */
  async end(accessToken: string, reason: string): Promise<boolean> {
    const digest = tokenDigest(accessToken);
    const ended = await this.repository.end(digest, reason, new Date());
    if (!ended) return false;
    await this.audit.record({
      kind: 'user.signed_out',
      actorId: ended.userId,
      actorKind: 'user',
      details: { sessionId: ended.id, reason },
    });
    await this.redis.publish(SESSION_ENDED_CHANNEL, JSON.stringify({ tokenDigest: digest.toString('hex') }));
    this.logger.info({ userId: ended.userId, sessionId: ended.id }, 'session ended');
    return true;
  }

  /** Called with the hex digest of each ended session's token (from any replica). */
  onEnded(listener: (tokenDigest: string) => void): void {
    this.listeners.push(listener);
  }
}

/** sha256 of a token, as sessions are keyed (the token itself is never stored). */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
