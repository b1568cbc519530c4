import { Injectable } from '@nestjs/common';
import { AccountLinksRepository, type AccountKeys } from './account-links.repository.js';

/**
 * Accounts that are one person. Separation of duties must compare people, not rows: an
 * administrator can create a local user with someone's e-mail address, and one person can reach
 * Postern through several accounts. Two accounts are linked when they share a subject (any
 * issuer: a local user's subject is its e-mail address, an agent names a token's principal
 * `oidc:<subject>`) or an e-mail address both hold as verified — the IdP said email_verified, or
 * an administrator entered it for a local user. An unverified address links nothing: anyone can
 * claim one. Linking errs towards "same person", which can only refuse a decision, never allow one.
 */
@Injectable()
export class AccountLinks {
  constructor(private readonly repository: AccountLinksRepository) {}

  /**
   * Every account id of the person behind `principal` (a user id or `oidc:<subject>`), itself
   * included; the principal as given too, when it is not an account.
   */
  async accountsOf(principal: string): Promise<Set<string>> {
    const subject = principal.startsWith('oidc:') ? principal.slice('oidc:'.length) : null;
    const direct = await this.repository.accounts(
      subject === null ? { ids: [principal], subjects: [] } : { ids: [], subjects: [subject] },
    );
    const linked = await this.repository.sharing(
      [...new Set([...direct.map((a) => a.subject), ...(subject === null ? [] : [subject])])],
      [...new Set(direct.flatMap(verifiedEmail))],
    );
    return new Set([principal, ...direct.map((a) => a.id), ...linked.map((a) => a.id)]);
  }

  /** Whether `accountId` and `principal` are the same person. */
  async samePerson(accountId: string, principal: string): Promise<boolean> {
    if (accountId === principal) return true;
    return (await this.accountsOf(principal)).has(accountId);
  }
}

function verifiedEmail(account: AccountKeys): string[] {
  return account.emailVerified && account.email ? [account.email.toLowerCase()] : [];
}
