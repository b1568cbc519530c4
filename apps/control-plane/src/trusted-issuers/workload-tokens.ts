import { Injectable } from '@nestjs/common';
import {
  claimValue,
  classifyToken,
  createTokenVerifier,
  mapClaims,
  TokenRejectedError,
  type TokenVerifier,
} from '@postern/oidc';
import { TrustedIssuersRepository } from './trusted-issuers.repository.js';
import type { TrustedIssuer } from './trusted-issuers.types.js';

/** Workload tokens are small (GitHub's ~1 KiB, Kubernetes' ~1.5 KiB); anything past this is refused unread. */
const MAX_TOKEN_BYTES = 16 * 1024;
const MAX_VERIFIERS = 256;
/**
 * Claims kept in the audit record of an exchange besides those the mapping rule read: what ties
 * a credential to one job or pod (GitHub Actions' run, GitLab CI's pipeline and job, the
 * Kubernetes pod and service account), when the token has them.
 */
export const PROVENANCE_CLAIMS = [
  'jti',
  'run_id',
  'run_attempt',
  'workflow',
  'job_workflow_ref',
  'actor',
  'pipeline_id',
  'job_id',
  'user_login',
  'kubernetes.io.namespace',
  'kubernetes.io.serviceaccount.name',
  'kubernetes.io.pod.name',
];

export type WorkloadVerdict =
  | {
      ok: true;
      trusted: TrustedIssuer;
      /** The machine identity's name and groups, from the mapping rule. */
      identity: string;
      groups: string[];
      rule: number;
      /** The claims the rule read and the provenance claims present, for the audit log. */
      claims: Record<string, string>;
      subject: string;
      expiresAt: Date;
    }
  | {
      ok: false;
      /** Why, for the caller and the audit log: never quotes the token, quotes claims shortened. */
      reason: string;
      /** Refused by the mapping rules (as opposed to an unverifiable token). */
      unmapped: boolean;
      trusted: TrustedIssuer | null;
    };

/**
 * Verifies a workload's token against the trusted issuer its `iss` names (signature from the
 * issuer's JWKS, audience, algorithm, expiry) and maps its claims to a machine identity. An
 * issuer nobody configured is refused before any key is fetched; each issuer's verifier (and
 * its JWKS cache) is kept until the issuer is edited.
 */
@Injectable()
export class WorkloadTokens {
  private readonly verifiers = new Map<string, { version: number; verifier: TokenVerifier }>();

  constructor(private readonly issuers: TrustedIssuersRepository) {}

  async identify(token: string): Promise<WorkloadVerdict> {
    let iss: unknown;
    try {
      const shape = classifyToken(token, MAX_TOKEN_BYTES);
      if (shape.kind !== 'jwt') return refused('the subject token is not a JWT');
      iss = shape.unverifiedClaims.iss;
    } catch (error) {
      if (error instanceof TokenRejectedError) return refused(`the subject token is refused: ${error.message}`);
      throw error;
    }
    if (typeof iss !== 'string' || iss.length === 0) return refused('the subject token has no "iss" claim');
    const trusted = await this.issuers.findEnabledByIssuer(iss);
    if (!trusted) return refused(`issuer ${JSON.stringify(iss.slice(0, 120))} is not a trusted issuer`);
    let claims: Readonly<Record<string, unknown>>;
    let subject: string;
    let expiresAt: Date;
    try {
      ({ claims, subject, expiresAt } = await this.verifierFor(trusted).verify(token));
    } catch (error) {
      if (error instanceof TokenRejectedError) {
        return refused(`the subject token is refused: ${error.message}`, trusted);
      }
      throw error;
    }
    const mapped = mapClaims(claims, trusted.rules);
    if (!mapped.matched) {
      return {
        ok: false,
        unmapped: true,
        trusted,
        reason: `no mapping rule of ${trusted.name} maps the token (${mapped.reasons.join('; ')})`,
      };
    }
    return {
      ok: true,
      trusted,
      identity: mapped.identity,
      groups: mapped.groups,
      rule: mapped.rule,
      claims: { ...provenance(claims), ...mapped.claims },
      subject,
      expiresAt,
    };
  }

  private verifierFor(trusted: TrustedIssuer): TokenVerifier {
    const version = trusted.updatedAt.getTime();
    const cached = this.verifiers.get(trusted.id);
    if (cached && cached.version === version) return cached.verifier;
    const verifier = createTokenVerifier({
      issuer: trusted.issuer,
      audiences: trusted.audiences,
      allowedAlgorithms: trusted.allowedAlgorithms,
      maxTokenBytes: MAX_TOKEN_BYTES,
      ...(trusted.jwksUri ? { jwksUri: trusted.jwksUri } : {}),
    });
    if (!cached && this.verifiers.size >= MAX_VERIFIERS) this.verifiers.delete(this.verifiers.keys().next().value!);
    this.verifiers.set(trusted.id, { version, verifier });
    return verifier;
  }
}

function provenance(claims: Readonly<Record<string, unknown>>): Record<string, string> {
  const found: Record<string, string> = {};
  for (const claim of PROVENANCE_CLAIMS) {
    const value = claimValue(claims, claim);
    if (value !== undefined) found[claim] = value;
  }
  return found;
}

function refused(reason: string, trusted: TrustedIssuer | null = null): WorkloadVerdict {
  return { ok: false, unmapped: false, reason, trusted };
}
