import { Injectable } from '@nestjs/common';
import type { Actor } from '../platform/auth/actor.js';
import { DomainError, PermissionDeniedError } from '../platform/errors/domain-error.js';
import { AccountLinks } from '../identity/account-links.js';
import type { Review } from './review.types.js';

/**
 * Separation of duties, by person rather than by account (AccountLinks): the requester never
 * decides their own request under another of their accounts, and one person's decisions count
 * once however many accounts they hold. Every decision path (access and command reviews) asks here.
 */
@Injectable()
export class SeparationOfDuties {
  constructor(private readonly links: AccountLinks) {}

  /** Throws when `actor` is the requester (any linked account). */
  async refuseRequester(actor: Actor, review: Review): Promise<void> {
    const requesters = [review.requesterPrincipalId, ...(review.requesterId ? [review.requesterId] : [])];
    if (requesters.includes(actor.id)) throw new PermissionDeniedError('you cannot decide your own request');
    const actorAccounts = await this.links.accountsOf(actor.id);
    for (const requester of requesters) {
      if (actorAccounts.has(requester) || (await this.links.accountsOf(requester)).has(actor.id)) {
        throw new PermissionDeniedError('you cannot decide your own request');
      }
    }
  }

  /** Throws when `actor`, under any linked account, already decided the review. */
  async refuseSecondDecision(actor: Actor, review: Review): Promise<void> {
    if (review.decisions.length === 0) return;
    const accounts = await this.links.accountsOf(actor.id);
    if (review.decisions.some((d) => accounts.has(d.userId))) {
      throw new DomainError('FAILED_PRECONDITION', 'you already decided this request');
    }
  }
}
