import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '../platform/auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { requireUuid } from '../platform/common/validation.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import {
  AlreadyExistsError,
  DomainError,
  InvalidArgumentError,
  NotFoundError,
} from '../platform/errors/domain-error.js';
import { REVIEW_EVENT_TYPES, type ReviewEventType } from '../reviews/review-events.js';
import { endpointAddressRefusal } from './notification-sender.js';
import { checkEndpointUrl, displayUrl } from './notification-url.js';
import { NotificationSecrets } from './notification-secrets.js';
import type { EndpointChanges, NotificationEndpoint, NotificationKind, StoredEndpoint } from './notification.types.js';
import { NotificationsRepository } from './notifications.repository.js';
import { newSigningSecret } from './webhook-signature.js';

export interface EndpointInput {
  name: string;
  kind: NotificationKind;
  url: string;
  events?: string[] | null;
  connectionIds?: string[] | null;
  enabled?: boolean | null;
}

export interface EndpointUpdate {
  name?: string | null;
  url?: string | null;
  events?: string[] | null;
  connectionIds?: string[] | null;
  enabled?: boolean | null;
}

export interface CreatedEndpoint {
  endpoint: NotificationEndpoint;
  /** WEBHOOK: the signing secret, shown this once. SLACK: null. */
  signingSecret: string | null;
}

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,99}$/u;
const MAX_CONNECTIONS = 100;

/** Admins manage where review notifications go; secrets are sealed and never shown again. */
@Injectable()
export class NotificationEndpointsService {
  constructor(
    private readonly repository: NotificationsRepository,
    private readonly secrets: NotificationSecrets,
    private readonly audit: AuditService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  /** The URL's form, then every address its host resolves to (delivery checks them again). */
  private async checkUrl(value: string): Promise<URL> {
    const url = checkEndpointUrl(value, this.config.notifications.allowHttp);
    const refusal = await endpointAddressRefusal(url, this.config.notifications.allowPrivateNetworks);
    if (refusal) throw new InvalidArgumentError(`url's host is ${refusal}`);
    return url;
  }

  async list(): Promise<NotificationEndpoint[]> {
    return (await this.repository.endpoints()).map(withoutSecret);
  }

  async create(actor: Actor, input: EndpointInput): Promise<CreatedEndpoint> {
    const id = randomUUID();
    const url = await this.checkUrl(input.url);
    const secret = input.kind === 'WEBHOOK' ? newSigningSecret() : url.href;
    const created = await this.repository.createEndpoint({
      id,
      name: checkName(input.name),
      kind: input.kind,
      url: displayUrl(input.kind, url),
      secretCiphertext: this.secrets.seal(id, secret),
      events: checkEvents(input.events ?? []),
      connectionIds: await this.checkConnections(input.connectionIds ?? []),
      enabled: input.enabled ?? true,
    });
    if (!created) throw new AlreadyExistsError(`a notification endpoint named "${input.name.trim()}" exists`);
    await this.record(actor, 'notification_endpoint.created', created);
    return { endpoint: withoutSecret(created), signingSecret: input.kind === 'WEBHOOK' ? secret : null };
  }

  async update(actor: Actor, id: string, input: EndpointUpdate): Promise<NotificationEndpoint> {
    const existing = await this.get(id);
    const changes: EndpointChanges = {};
    if (input.name !== undefined && input.name !== null) changes.name = checkName(input.name);
    if (input.events !== undefined && input.events !== null) changes.events = checkEvents(input.events);
    if (input.connectionIds !== undefined && input.connectionIds !== null) {
      changes.connectionIds = await this.checkConnections(input.connectionIds);
    }
    if (input.enabled !== undefined && input.enabled !== null) changes.enabled = input.enabled;
    if (input.url !== undefined && input.url !== null) {
      const url = await this.checkUrl(input.url);
      changes.url = displayUrl(existing.kind, url);
      if (existing.kind === 'SLACK') changes.secretCiphertext = this.secrets.seal(existing.id, url.href);
    }
    const updated = await this.repository.updateEndpoint(existing.id, changes);
    if (updated === 'name-taken')
      throw new AlreadyExistsError(`a notification endpoint named "${changes.name}" exists`);
    if (!updated) throw new NotFoundError('notification endpoint', id);
    await this.record(actor, 'notification_endpoint.updated', updated);
    return withoutSecret(updated);
  }

  /** A new signing secret for a webhook (the old one stops working at once), shown this once. */
  async rotateSecret(actor: Actor, id: string): Promise<CreatedEndpoint> {
    const existing = await this.get(id);
    if (existing.kind !== 'WEBHOOK')
      throw new DomainError('FAILED_PRECONDITION', 'only webhooks have a signing secret');
    const secret = newSigningSecret();
    const updated = await this.repository.updateEndpoint(existing.id, {
      secretCiphertext: this.secrets.seal(existing.id, secret),
    });
    if (!updated || updated === 'name-taken') throw new NotFoundError('notification endpoint', id);
    await this.record(actor, 'notification_endpoint.secret_rotated', updated);
    return { endpoint: withoutSecret(updated), signingSecret: secret };
  }

  async delete(actor: Actor, id: string): Promise<NotificationEndpoint> {
    const deleted = await this.repository.deleteEndpoint(requireUuid(id, 'id'));
    if (!deleted) throw new NotFoundError('notification endpoint', id);
    await this.record(actor, 'notification_endpoint.deleted', deleted);
    return withoutSecret(deleted);
  }

  private async get(id: string): Promise<StoredEndpoint> {
    const endpoint = await this.repository.endpoint(requireUuid(id, 'id'));
    if (!endpoint) throw new NotFoundError('notification endpoint', id);
    return endpoint;
  }

  private async checkConnections(ids: string[]): Promise<string[]> {
    if (ids.length > MAX_CONNECTIONS) throw new InvalidArgumentError(`at most ${MAX_CONNECTIONS} connectionIds`);
    const unique = [...new Set(ids.map((id, i) => requireUuid(id, `connectionIds[${i}]`).toLowerCase()))].sort();
    const unknown = await this.repository.unknownConnections(unique);
    if (unknown.length > 0) throw new InvalidArgumentError(`connectionIds: no connection ${unknown[0]}`);
    return unique;
  }

  private async record(actor: Actor, kind: string, endpoint: StoredEndpoint): Promise<void> {
    await this.audit.record({
      kind,
      actorId: actor.id,
      actorKind: actor.kind === 'admin-token' ? 'admin' : actor.kind,
      details: { endpointId: endpoint.id, name: endpoint.name, kind: endpoint.kind, enabled: endpoint.enabled },
    });
  }
}

function withoutSecret(endpoint: StoredEndpoint): NotificationEndpoint {
  const { secretCiphertext: _secret, ...rest } = endpoint;
  return rest;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (!NAME.test(trimmed)) {
    throw new InvalidArgumentError('name must be 1 to 100 letters, digits, spaces, ".", "_" or "-"');
  }
  return trimmed;
}

function checkEvents(events: string[]): ReviewEventType[] {
  for (const [i, event] of events.entries()) {
    if (!REVIEW_EVENT_TYPES.includes(event as ReviewEventType)) {
      throw new InvalidArgumentError(`events[${i}] must be one of ${REVIEW_EVENT_TYPES.join(', ')}`);
    }
  }
  return [...new Set(events as ReviewEventType[])].sort();
}
