import { Inject, Injectable } from '@nestjs/common';
import { createTokenVerifier, type TokenVerifier, type VerifiedIdentity } from '@postern/oidc';
import { CONFIG, type ControlPlaneConfig } from '../config/config.js';

/** Verifies OIDC access tokens presented to the API (people and machines), when OIDC is configured. */
@Injectable()
export class ApiTokenVerifier {
  private readonly verifier: TokenVerifier | null;

  constructor(@Inject(CONFIG) config: ControlPlaneConfig) {
    const oidc = config.oidc;
    this.verifier = oidc
      ? createTokenVerifier({
          issuer: oidc.issuer,
          audiences: oidc.audiences,
          allowedAlgorithms: oidc.allowedAlgorithms,
          clockToleranceSeconds: oidc.clockToleranceSeconds,
          groupsClaim: oidc.groupsClaim,
        })
      : null;
  }

  get enabled(): boolean {
    return this.verifier !== null;
  }

  verify(token: string): Promise<VerifiedIdentity> {
    if (!this.verifier) throw new Error('OIDC is not configured');
    return this.verifier.verify(token);
  }
}
