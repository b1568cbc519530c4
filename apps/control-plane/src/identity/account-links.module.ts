import { Module } from '@nestjs/common';
import { AccountLinks } from './account-links.js';
import { AccountLinksRepository } from './account-links.repository.js';

/** Which accounts are one person; used by every review decision (separation of duties). */
@Module({ providers: [AccountLinksRepository, AccountLinks], exports: [AccountLinks] })
export class AccountLinksModule {}
