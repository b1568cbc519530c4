import { Inject, Injectable } from '@nestjs/common';
import {
  ClaimMappingError,
  createTokenVerifier,
  DEFAULT_ALLOWED_ALGORITHMS,
  OidcConfigurationError,
  validateClaimMappingRules,
  type ClaimMappingRule,
} from '@postern/oidc';
import { AuditService } from '../audit/audit.service.js';
import { auditActor, type Actor } from '../platform/auth/actor.js';
import { RESOURCE_NAME, requireUuid } from '../platform/common/validation.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../platform/errors/domain-error.js';
import { DuplicateTrustedIssuerError, TrustedIssuersRepository } from './trusted-issuers.repository.js';
import type { TrustedIssuer, TrustedIssuerSpec } from './trusted-issuers.types.js';

export interface TrustedIssuerInput {
  name: string;
  issuer: string;
  jwksUri?: string | null;
  audiences: string[];
  allowedAlgorithms?: string[] | null;
  enabled?: boolean | null;
  rules: ClaimMappingRule[];
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Token issuers trusted for machine identities (CI platforms, Kubernetes clusters, cloud workload
 * identity) and their claim mapping rules; administered through GraphQL, audited. Their tokens
 * are only exchanged for connection credentials (token-exchange.service.ts), never accepted by
 * the API or an agent.
 */
@Injectable()
export class TrustedIssuersService {
  constructor(
    private readonly repository: TrustedIssuersRepository,
    private readonly audit: AuditService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  list(): Promise<TrustedIssuer[]> {
    return this.repository.list();
  }

  async get(id: string): Promise<TrustedIssuer> {
    const found = await this.repository.findById(requireUuid(id, 'id'));
    if (!found) throw new NotFoundError('trusted issuer', id);
    return found;
  }

  async create(input: TrustedIssuerInput, actor: Actor): Promise<TrustedIssuer> {
    const created = await this.unique(() => this.repository.create(this.validate(input)), input);
    await this.record('trusted_issuer.created', created, actor);
    return created;
  }

  async update(id: string, input: TrustedIssuerInput, actor: Actor): Promise<TrustedIssuer> {
    const spec = this.validate(input);
    const updated = await this.unique(() => this.repository.update(requireUuid(id, 'id'), spec), input);
    if (!updated) throw new NotFoundError('trusted issuer', id);
    await this.record('trusted_issuer.updated', updated, actor);
    return updated;
  }

  /** Credentials already exchanged stay valid until they expire (minutes); revoke them to end them sooner. */
  async delete(id: string, actor: Actor): Promise<TrustedIssuer> {
    const deleted = await this.repository.delete(requireUuid(id, 'id'));
    if (!deleted) throw new NotFoundError('trusted issuer', id);
    await this.record('trusted_issuer.deleted', deleted, actor);
    return deleted;
  }

  private validate(input: TrustedIssuerInput): TrustedIssuerSpec {
    if (!RESOURCE_NAME.test(input.name)) {
      throw new InvalidArgumentError(
        'name must be 1-63 of a-z, 0-9, _ and - (starting and ending with a letter or digit)',
      );
    }
    const issuer = requireIssuerUrl(input.issuer, 'issuer');
    const jwksUri = input.jwksUri ? requireIssuerUrl(input.jwksUri, 'jwksUri') : null;
    const audiences = [...new Set(input.audiences)];
    if (audiences.length === 0 || audiences.some((a) => a.length === 0 || a.length > 256)) {
      throw new InvalidArgumentError('audiences must list 1 or more audiences of 1-256 characters');
    }
    // Workload tokens are minted for the exchange alone: one also good for the API or as a
    // database password would be a second way in for whoever holds it.
    const reserved = this.config.oidc ? [...this.config.oidc.audiences, this.config.oidc.dataPlaneAudience] : [];
    const clash = audiences.find((audience) => reserved.includes(audience));
    if (clash !== undefined) {
      throw new InvalidArgumentError(
        `audience "${clash}" is the API's or the data plane's; give workloads an audience of their own`,
      );
    }
    const allowedAlgorithms = [...(input.allowedAlgorithms ?? DEFAULT_ALLOWED_ALGORITHMS)];
    let rules: ClaimMappingRule[];
    try {
      rules = validateClaimMappingRules(input.rules);
      // The same checks the exchange's verifier makes, so a bad configuration fails here.
      createTokenVerifier({ issuer, audiences, allowedAlgorithms, ...(jwksUri ? { jwksUri } : {}) });
    } catch (error) {
      if (error instanceof ClaimMappingError || error instanceof OidcConfigurationError) {
        throw new InvalidArgumentError(error.message);
      }
      throw error;
    }
    return { name: input.name, issuer, jwksUri, audiences, allowedAlgorithms, enabled: input.enabled ?? true, rules };
  }

  private async unique<T>(write: () => Promise<T>, input: TrustedIssuerInput): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof DuplicateTrustedIssuerError) {
        throw new AlreadyExistsError(`a trusted issuer named ${input.name} or for ${input.issuer} already exists`);
      }
      throw error;
    }
  }

  private record(kind: string, issuer: TrustedIssuer, actor: Actor): Promise<void> {
    return this.audit.record({
      kind,
      ...auditActor(actor),
      details: {
        trustedIssuerId: issuer.id,
        name: issuer.name,
        issuer: issuer.issuer,
        enabled: issuer.enabled,
        rules: issuer.rules.length,
      },
    });
  }
}

/** https, or http on this machine only (development and tests): keys fetched over plain HTTP elsewhere could be swapped. */
function requireIssuerUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`${what} must be a URL`);
  }
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.test(url.hostname));
  if (!ok || url.username || url.password || url.hash) {
    throw new InvalidArgumentError(
      `${what} must be an https URL (http only on localhost), without credentials or fragment`,
    );
  }
  return value;
}
