import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import {
  CreateNotificationEndpointInput,
  CreatedNotificationEndpointModel,
  NotificationDeliveryModel,
  NotificationDeliveryStatusEnum,
  NotificationEndpointModel,
  UpdateNotificationEndpointInput,
} from './dto/notification.model.js';
import { NotificationDeliveriesService } from './notification-deliveries.service.js';
import { NotificationEndpointsService } from './notification-endpoints.service.js';

/** Notification endpoints and deliveries: admins only (no @Roles). */
@Resolver()
export class NotificationsResolver {
  constructor(
    private readonly endpoints: NotificationEndpointsService,
    private readonly deliveries: NotificationDeliveriesService,
  ) {}

  @Query(() => [NotificationEndpointModel])
  async notificationEndpoints() {
    return (await this.endpoints.list()).map(NotificationEndpointModel.from);
  }

  @Mutation(() => CreatedNotificationEndpointModel, {
    description: 'Adds a webhook or Slack endpoint for review notifications; a webhook’s signing secret is shown once.',
  })
  async createNotificationEndpoint(
    @CurrentActor() actor: Actor,
    @Args('input') input: CreateNotificationEndpointInput,
  ) {
    return CreatedNotificationEndpointModel.from(await this.endpoints.create(actor, input));
  }

  @Mutation(() => NotificationEndpointModel)
  async updateNotificationEndpoint(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
    @Args('input') input: UpdateNotificationEndpointInput,
  ) {
    return NotificationEndpointModel.from(await this.endpoints.update(actor, id, input));
  }

  @Mutation(() => CreatedNotificationEndpointModel, {
    description: 'A new signing secret for a webhook, shown once; the old one stops working at once.',
  })
  async rotateNotificationEndpointSecret(@CurrentActor() actor: Actor, @Args('id', { type: () => ID }) id: string) {
    return CreatedNotificationEndpointModel.from(await this.endpoints.rotateSecret(actor, id));
  }

  @Mutation(() => NotificationEndpointModel, { description: 'Deletes the endpoint and its deliveries.' })
  async deleteNotificationEndpoint(@CurrentActor() actor: Actor, @Args('id', { type: () => ID }) id: string) {
    return NotificationEndpointModel.from(await this.endpoints.delete(actor, id));
  }

  @Query(() => [NotificationDeliveryModel], { description: 'Most recent first. status: FAILED lists dead letters.' })
  async notificationDeliveries(
    @Args('status', { type: () => NotificationDeliveryStatusEnum, nullable: true })
    status?: NotificationDeliveryStatusEnum | null,
    @Args('endpointId', { type: () => ID, nullable: true }) endpointId?: string | null,
    @Args('reviewId', { type: () => ID, nullable: true }) reviewId?: string | null,
    @Args('limit', { type: () => Int, nullable: true, defaultValue: 50 }) limit = 50,
  ) {
    const deliveries = await this.deliveries.list({
      status: status ?? undefined,
      endpointId: endpointId ?? undefined,
      reviewId: reviewId ?? undefined,
      limit,
    });
    return deliveries.map(NotificationDeliveryModel.from);
  }

  @Mutation(() => NotificationDeliveryModel, {
    description: 'Queues a FAILED delivery again (same id and body, a fresh set of attempts).',
  })
  async retryNotificationDelivery(@CurrentActor() actor: Actor, @Args('id', { type: () => ID }) id: string) {
    return NotificationDeliveryModel.from(await this.deliveries.retry(actor, id));
  }
}
