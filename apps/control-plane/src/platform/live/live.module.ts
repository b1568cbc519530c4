import { Module } from '@nestjs/common';
import { LiveEvents } from './live-events.js';

/** Live events for GraphQL subscriptions, fanned out to every replica through Redis pub/sub. */
@Module({ providers: [LiveEvents], exports: [LiveEvents] })
export class LiveModule {}
