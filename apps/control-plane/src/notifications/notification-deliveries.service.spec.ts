import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@postern/logging';
import { strictMock } from '@postern/testing';
import type { AuditService } from '../audit/audit.service.js';
import { loadConfig } from '../platform/config/config.js';
import type { ReviewEvents } from '../reviews/review-events.js';
import { NotificationDeliveriesService } from './notification-deliveries.service.js';
import type { NotificationQueue } from './notification-queue.js';
import { NotificationSecrets } from './notification-secrets.js';
import { DELIVERY_FAILED, type AttemptResult, type DeliveryToSend } from './notification.types.js';
import type { NotificationsRepository } from './notifications.repository.js';

const config = loadConfig({
  POSTERN_NOTIFICATIONS_ALLOW_PRIVATE_NETWORKS: 'true',
  POSTERN_BOOTSTRAP_ADMIN_TOKEN: 'x'.repeat(40),
  POSTERN_GRPC_INSECURE: 'true',
  POSTERN_RELAY_INSECURE: 'true',
});
const secrets = new NotificationSecrets(config);
const ENDPOINT = '6b99fb42-e061-47c6-ab55-be69bb8afb96';

let server: Server;
let status = 500;
let hits = 0;
beforeEach(async () => {
  hits = 0;
  server = createServer((_request, response) => {
    hits += 1;
    response.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

function delivery(overrides: Partial<DeliveryToSend['endpoint']> = {}): DeliveryToSend {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    id: 'd1',
    eventType: 'review.created',
    status: 'PENDING',
    body: '{}',
    endpoint: {
      id: ENDPOINT,
      name: 'hook',
      kind: 'WEBHOOK',
      url,
      events: [],
      connectionIds: [],
      enabled: true,
      createdAt: new Date(),
      updatedAt: new Date(),
      secretCiphertext: secrets.seal(ENDPOINT, 'postern_whsec_test'),
      ...overrides,
    },
  };
}

function service(toSend: DeliveryToSend) {
  const attempts: Array<{ result: AttemptResult; settle: boolean }> = [];
  const failures: string[] = [];
  const repository = strictMock<NotificationsRepository>({
    deliveryToSend: async () => toSend,
    recordAttempt: async (_id, result, _at, settle) => {
      attempts.push({ result, settle });
    },
    fail: async (_id, error) => {
      failures.push(error);
    },
  });
  const queue = strictMock<NotificationQueue>({ onDeliver: jest.fn() });
  const events = strictMock<ReviewEvents>({ onEvent: jest.fn() });
  const deliveries = new NotificationDeliveriesService(
    repository,
    queue,
    secrets,
    strictMock<AuditService>({}),
    events,
    config,
    createLogger({ name: 'test', level: 'silent' }),
  );
  return { deliveries, attempts, failures };
}

describe('NotificationDeliveriesService.deliver', () => {
  test('a failed attempt is recorded and thrown for BullMQ to retry; the last one dead-letters', async () => {
    status = 500;
    const { deliveries, attempts } = service(delivery());
    await expect(deliveries.deliver({ deliveryId: 'd1', attempt: 1, final: false })).rejects.toThrow(
      /"hook": HTTP 500/,
    );
    await expect(deliveries.deliver({ deliveryId: 'd1', attempt: 2, final: true })).rejects.toThrow(/HTTP 500/);
    // Admins see one generic error; the status and reason go to the log only.
    expect(attempts.map((a) => [a.result.statusCode, a.result.error, a.settle])).toEqual([
      [null, DELIVERY_FAILED, false],
      [null, DELIVERY_FAILED, true],
    ]);
  });

  test('a success is recorded as delivered', async () => {
    status = 204;
    const { deliveries, attempts } = service(delivery());
    await deliveries.deliver({ deliveryId: 'd1', attempt: 1, final: false });
    expect(attempts).toEqual([{ result: { ok: true, statusCode: 204, error: null }, settle: false }]);
  });

  test('a disabled endpoint or an unreadable secret fails the delivery without sending', async () => {
    const disabled = service(delivery({ enabled: false }));
    await disabled.deliveries.deliver({ deliveryId: 'd1', attempt: 1, final: false });
    const foreign = service(delivery({ secretCiphertext: secrets.seal('another-endpoint', 'postern_whsec_x') }));
    await foreign.deliveries.deliver({ deliveryId: 'd1', attempt: 1, final: false });
    expect([...disabled.failures, ...foreign.failures]).toEqual([
      'the endpoint is disabled',
      expect.stringMatching(/secret cannot be read/),
    ]);
    expect(hits).toBe(0);
  });
});
