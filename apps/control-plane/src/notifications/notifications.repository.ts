import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import type { ReviewEventType } from '../reviews/review-events.js';
import type {
  AttemptResult,
  DeliveryStatus,
  DeliveryToSend,
  EndpointChanges,
  NewDelivery,
  NewEndpoint,
  NotificationDelivery,
  StoredEndpoint,
} from './notification.types.js';

type EndpointRow = Prisma.NotificationEndpointGetPayload<object>;

function toEndpoint(row: EndpointRow): StoredEndpoint {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    url: row.url,
    events: row.events as ReviewEventType[],
    connectionIds: row.connectionIds,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    secretCiphertext: row.secretCiphertext ? Buffer.from(row.secretCiphertext) : null,
  };
}

const deliveryInclude = { endpoint: { select: { name: true } } } as const;
type DeliveryRow = Prisma.NotificationDeliveryGetPayload<{ include: typeof deliveryInclude }>;

function toDelivery(row: DeliveryRow): NotificationDelivery {
  return {
    id: row.id,
    endpointId: row.endpointId,
    endpointName: row.endpoint.name,
    eventId: row.eventId,
    eventType: row.eventType,
    reviewId: row.reviewId,
    status: row.status,
    attempts: row.attempts,
    retries: row.retries,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    lastAttemptAt: row.lastAttemptAt,
    deliveredAt: row.deliveredAt,
    failedAt: row.failedAt,
    createdAt: row.createdAt,
  };
}

/** Stored error texts are bounded (they come from remote servers' behaviour). */
const MAX_ERROR_LENGTH = 500;

@Injectable()
export class NotificationsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Null when the name is taken. */
  async createEndpoint(input: NewEndpoint): Promise<StoredEndpoint | null> {
    try {
      return toEndpoint(await this.prisma.notificationEndpoint.create({ data: input }));
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return null;
      throw error;
    }
  }

  async endpoints(): Promise<StoredEndpoint[]> {
    return (await this.prisma.notificationEndpoint.findMany({ orderBy: { name: 'asc' } })).map(toEndpoint);
  }

  async endpoint(id: string): Promise<StoredEndpoint | null> {
    const row = await this.prisma.notificationEndpoint.findUnique({ where: { id } });
    return row ? toEndpoint(row) : null;
  }

  /** Null when it does not exist; 'name-taken' when renamed onto another endpoint's name. */
  async updateEndpoint(id: string, changes: EndpointChanges): Promise<StoredEndpoint | null | 'name-taken'> {
    try {
      const updated = await this.prisma.notificationEndpoint.updateMany({ where: { id }, data: changes });
      return updated.count === 1 ? this.endpoint(id) : null;
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return 'name-taken';
      throw error;
    }
  }

  /** Deletes the endpoint and its deliveries; null when it did not exist. */
  async deleteEndpoint(id: string): Promise<StoredEndpoint | null> {
    const existing = await this.endpoint(id);
    if (!existing) return null;
    const deleted = await this.prisma.notificationEndpoint.deleteMany({ where: { id } });
    return deleted.count === 1 ? existing : null;
  }

  /** Enabled endpoints taking `type` for a review of `connectionId`. */
  async endpointsFor(type: ReviewEventType, connectionId: string): Promise<StoredEndpoint[]> {
    const rows = await this.prisma.notificationEndpoint.findMany({
      where: {
        enabled: true,
        AND: [
          { OR: [{ events: { isEmpty: true } }, { events: { has: type } }] },
          { OR: [{ connectionIds: { isEmpty: true } }, { connectionIds: { has: connectionId } }] },
        ],
      },
    });
    return rows.map(toEndpoint);
  }

  async unknownConnections(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const found = await this.prisma.connection.findMany({ where: { id: { in: ids } }, select: { id: true } });
    const known = new Set(found.map((c) => c.id));
    return ids.filter((id) => !known.has(id));
  }

  /** Stores new deliveries; ids already stored (the event was announced before) are left alone. */
  async createDeliveries(deliveries: NewDelivery[]): Promise<void> {
    await this.prisma.notificationDelivery.createMany({ data: deliveries, skipDuplicates: true });
  }

  async deliveryToSend(id: string): Promise<DeliveryToSend | null> {
    const row = await this.prisma.notificationDelivery.findUnique({ where: { id }, include: { endpoint: true } });
    if (!row) return null;
    return {
      id: row.id,
      eventType: row.eventType,
      status: row.status,
      body: row.body,
      endpoint: toEndpoint(row.endpoint),
    };
  }

  /** Counts an attempt; `settle` marks the delivery DELIVERED (ok) or FAILED (dead letter). */
  async recordAttempt(id: string, result: AttemptResult, at: Date, settle: boolean): Promise<void> {
    const status: DeliveryStatus = result.ok ? 'DELIVERED' : settle ? 'FAILED' : 'PENDING';
    await this.prisma.notificationDelivery.updateMany({
      where: { id, status: 'PENDING' },
      data: {
        status,
        attempts: { increment: 1 },
        lastStatusCode: result.statusCode,
        lastError: result.error?.slice(0, MAX_ERROR_LENGTH) ?? null,
        lastAttemptAt: at,
        ...(status === 'DELIVERED' ? { deliveredAt: at } : {}),
        ...(status === 'FAILED' ? { failedAt: at } : {}),
      },
    });
  }

  /** Dead-letters a delivery that cannot be attempted at all (endpoint disabled, secret unreadable). */
  async fail(id: string, error: string, at: Date): Promise<void> {
    await this.prisma.notificationDelivery.updateMany({
      where: { id, status: 'PENDING' },
      data: { status: 'FAILED', lastError: error.slice(0, MAX_ERROR_LENGTH), failedAt: at },
    });
  }

  /** A FAILED delivery back to PENDING, counting the retry; null when it is not FAILED. */
  async requeue(id: string): Promise<NotificationDelivery | null> {
    const updated = await this.prisma.notificationDelivery.updateMany({
      where: { id, status: 'FAILED' },
      data: { status: 'PENDING', retries: { increment: 1 }, failedAt: null },
    });
    return updated.count === 1 ? this.delivery(id) : null;
  }

  async delivery(id: string): Promise<NotificationDelivery | null> {
    const row = await this.prisma.notificationDelivery.findUnique({ where: { id }, include: deliveryInclude });
    return row ? toDelivery(row) : null;
  }

  async deliveries(filter: {
    status?: DeliveryStatus | undefined;
    endpointId?: string | undefined;
    reviewId?: string | undefined;
    limit: number;
  }): Promise<NotificationDelivery[]> {
    const rows = await this.prisma.notificationDelivery.findMany({
      where: {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.endpointId ? { endpointId: filter.endpointId } : {}),
        ...(filter.reviewId ? { reviewId: filter.reviewId } : {}),
      },
      include: deliveryInclude,
      orderBy: { createdAt: 'desc' },
      take: filter.limit,
    });
    return rows.map(toDelivery);
  }
}
