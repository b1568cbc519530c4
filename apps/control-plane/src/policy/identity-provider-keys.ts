import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';

const REFRESH_MS = 5 * 60_000;
const FETCH_TIMEOUT_MS = 5_000;
/** JWK members that only private keys have: never forwarded to agents. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * The IdP's public signing keys, fetched by the control plane and pushed to agents in their
 * policy snapshot: agents verify OIDC access tokens locally, without reaching the IdP (agents
 * often live in segments that cannot). Refreshed every 5 minutes; a change of keys is a policy
 * change, pushed at once.
 */
@Injectable()
export class IdentityProviderKeys implements OnModuleInit, OnApplicationShutdown {
  private jwksJson = '';
  private timer: NodeJS.Timeout | undefined;
  private onChange: (() => void) | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.oidc) return;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Called with the new keys' policy change; set by PolicyService. */
  whenChanged(listener: () => void): void {
    this.onChange = listener;
  }

  /** The JWKS as JSON (public members only), or '' when OIDC is off or the IdP was never reached. */
  get current(): string {
    return this.jwksJson;
  }

  async refresh(): Promise<void> {
    const oidc = this.config.oidc;
    if (!oidc) return;
    try {
      const discovery = (await getJson(`${oidc.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)) as {
        jwks_uri?: unknown;
      };
      if (typeof discovery.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
      const jwks = (await getJson(discovery.jwks_uri)) as { keys?: unknown };
      if (!Array.isArray(jwks.keys)) throw new Error('JWKS has no keys');
      const keys = jwks.keys.map((key: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(key).filter(([member]) => !PRIVATE_MEMBERS.includes(member))),
      );
      const next = JSON.stringify({ keys });
      if (next !== this.jwksJson) {
        const first = this.jwksJson === '';
        this.jwksJson = next;
        this.logger.info(
          { keys: keys.length },
          first ? 'identity provider keys loaded' : 'identity provider keys changed',
        );
        if (!first) this.onChange?.();
      }
    } catch (error) {
      // Agents keep the keys they have; tokens signed by a new key wait for the next refresh.
      this.logger.warn({ err: error, issuer: oidc.issuer }, 'could not refresh the identity provider keys');
    }
  }
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    headers: { accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}
