import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { NotificationDelivery, NotificationEndpoint } from '../notification.types.js';
import type { CreatedEndpoint } from '../notification-endpoints.service.js';

export enum NotificationKindEnum {
  WEBHOOK = 'WEBHOOK',
  SLACK = 'SLACK',
}
registerEnumType(NotificationKindEnum, {
  name: 'NotificationKind',
  description: 'WEBHOOK: signed JSON POST. SLACK: a Slack incoming webhook (text and blocks with dashboard links).',
});

/** GraphQL names of the event types; their values are the `type` / `x-postern-event` strings. */
export enum NotificationEventTypeEnum {
  REVIEW_CREATED = 'review.created',
  REVIEW_APPROVED = 'review.approved',
  REVIEW_REJECTED = 'review.rejected',
  REVIEW_EXPIRED = 'review.expired',
  REVIEW_CANCELLED = 'review.cancelled',
}
registerEnumType(NotificationEventTypeEnum, {
  name: 'NotificationEventType',
  description: 'Sent as review.created, review.approved, review.rejected, review.expired, review.cancelled.',
});

export enum NotificationDeliveryStatusEnum {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
}
registerEnumType(NotificationDeliveryStatusEnum, {
  name: 'NotificationDeliveryStatus',
  description: 'PENDING: queued or retrying. FAILED: every attempt failed (dead letter).',
});

@ObjectType('NotificationEndpoint', { description: 'Where review notifications go. Its secret is never shown again.' })
export class NotificationEndpointModel {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => NotificationKindEnum) kind!: string;
  @Field({ description: 'WEBHOOK: the URL. SLACK: only its origin (a Slack webhook URL is a secret).' }) url!: string;
  @Field(() => [NotificationEventTypeEnum], { description: 'Event types sent; empty: every type.' })
  events!: string[];
  @Field(() => [ID], { description: 'Reviews of these connections only; empty: every connection.' })
  connectionIds!: string[];
  @Field() enabled!: boolean;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;

  static from(endpoint: NotificationEndpoint): NotificationEndpointModel {
    return Object.assign(new NotificationEndpointModel(), endpoint);
  }
}

@ObjectType('CreatedNotificationEndpoint')
export class CreatedNotificationEndpointModel {
  @Field(() => NotificationEndpointModel) endpoint!: NotificationEndpointModel;
  @Field(() => String, {
    nullable: true,
    description:
      'WEBHOOK: the HMAC-SHA256 signing secret, shown only now (verify x-postern-signature with it). SLACK: null.',
  })
  signingSecret!: string | null;

  static from(created: CreatedEndpoint): CreatedNotificationEndpointModel {
    return Object.assign(new CreatedNotificationEndpointModel(), {
      endpoint: NotificationEndpointModel.from(created.endpoint),
      signingSecret: created.signingSecret,
    });
  }
}

@ObjectType('NotificationDelivery', { description: 'One event for one endpoint, and how sending it went.' })
export class NotificationDeliveryModel {
  @Field(() => ID, { description: 'The x-postern-delivery header: the same on every attempt and retry.' })
  id!: string;
  @Field(() => ID) endpointId!: string;
  @Field() endpointName!: string;
  @Field(() => ID, { description: 'The body’s `id`.' }) eventId!: string;
  @Field() eventType!: string;
  @Field(() => ID, { nullable: true }) reviewId!: string | null;
  @Field(() => NotificationDeliveryStatusEnum) status!: string;
  @Field(() => Int, { description: 'Attempts made, retries included.' }) attempts!: number;
  @Field(() => Int, { description: 'Times an admin queued it again.' }) retries!: number;
  @Field(() => Int, { nullable: true, description: 'HTTP status of the last attempt (null: no answer).' })
  lastStatusCode!: number | null;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field(() => Date, { nullable: true }) lastAttemptAt!: Date | null;
  @Field(() => Date, { nullable: true }) deliveredAt!: Date | null;
  @Field(() => Date, { nullable: true }) failedAt!: Date | null;
  @Field() createdAt!: Date;

  static from(delivery: NotificationDelivery): NotificationDeliveryModel {
    return Object.assign(new NotificationDeliveryModel(), delivery);
  }
}

@InputType('CreateNotificationEndpointInput')
export class CreateNotificationEndpointInput {
  @Field() name!: string;
  @Field(() => NotificationKindEnum) kind!: NotificationKindEnum;
  @Field({
    description: 'https:// (http:// only with POSTERN_NOTIFICATIONS_ALLOW_HTTP=true). SLACK: the incoming-webhook URL.',
  })
  url!: string;
  @Field(() => [NotificationEventTypeEnum], { nullable: true, description: 'Omitted or empty: every type.' })
  events?: NotificationEventTypeEnum[] | null;
  @Field(() => [ID], { nullable: true, description: 'Omitted or empty: every connection.' })
  connectionIds?: string[] | null;
  @Field(() => Boolean, { nullable: true, defaultValue: true }) enabled?: boolean | null;
}

@InputType('UpdateNotificationEndpointInput', { description: 'Fields left out keep their value.' })
export class UpdateNotificationEndpointInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) url?: string | null;
  @Field(() => [NotificationEventTypeEnum], { nullable: true }) events?: NotificationEventTypeEnum[] | null;
  @Field(() => [ID], { nullable: true }) connectionIds?: string[] | null;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
}
