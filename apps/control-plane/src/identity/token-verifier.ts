import { Inject, Injectable } from '@nestjs/common';
import { createTokenVerifier, TokenRejectedError, type TokenVerifier, type VerifiedIdentity } from '@postern/oidc';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';

/**
 * Verifies OIDC access tokens for one side of the gateway, when OIDC is configured: the API's
 * (people and machines calling GraphQL) or the data plane's (database passwords at the relay).
 * Each refuses a token that also carries the other side's audience, so a token that reaches an
 * agent as a password is never one the API accepts (DESIGN.md §6b).
 */
abstract class AudienceTokenVerifier {
  private readonly verifier: TokenVerifier | null;
  private readonly refused: readonly string[];

  protected constructor(config: ControlPlaneConfig, side: 'api' | 'data-plane') {
    const oidc = config.oidc;
    const api = oidc?.audiences ?? [];
    const dataPlane = oidc ? [oidc.dataPlaneAudience] : [];
    this.refused = side === 'api' ? dataPlane : api;
    this.verifier = oidc
      ? createTokenVerifier({
          issuer: oidc.issuer,
          audiences: side === 'api' ? api : dataPlane,
          allowedAlgorithms: oidc.allowedAlgorithms,
          clockToleranceSeconds: oidc.clockToleranceSeconds,
          groupsClaim: oidc.groupsClaim,
        })
      : null;
  }

  get enabled(): boolean {
    return this.verifier !== null;
  }

  async verify(token: string): Promise<VerifiedIdentity> {
    if (!this.verifier) throw new Error('OIDC is not configured');
    const identity = await this.verifier.verify(token);
    const aud = identity.claims['aud'];
    const audiences = Array.isArray(aud) ? aud : [aud];
    const crossed = audiences.find((a) => typeof a === 'string' && this.refused.includes(a));
    if (crossed !== undefined) {
      throw new TokenRejectedError(
        'wrong_audience',
        `token is also for audience "${crossed}", which this side refuses`,
      );
    }
    return identity;
  }
}

/** Tokens presented to the API. */
@Injectable()
export class ApiTokenVerifier extends AudienceTokenVerifier {
  constructor(@Inject(CONFIG) config: ControlPlaneConfig) {
    super(config, 'api');
  }
}

/** Tokens presented as database passwords at the relay (data-plane logins). */
@Injectable()
export class DataPlaneTokenVerifier extends AudienceTokenVerifier {
  constructor(@Inject(CONFIG) config: ControlPlaneConfig) {
    super(config, 'data-plane');
  }
}
