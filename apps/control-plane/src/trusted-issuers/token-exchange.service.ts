import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { AccessService } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import { ConnectionsService } from '../connections/connections.service.js';
import type { Connection } from '../connections/connection.types.js';
import { UsersService } from '../identity/users.service.js';
import { MutationRateLimiter } from '../platform/api-limits/mutation-rate-limiter.js';
import { storableText, UUID } from '../platform/common/validation.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { DomainError, NotFoundError, PermissionDeniedError } from '../platform/errors/domain-error.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { PolicyEnforcement } from './policy-enforcement.js';
import { machineIssuer } from './trusted-issuers.types.js';
import { WorkloadTokens } from './workload-tokens.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** What the exchange issues: a Postern connection credential (`postern_conn_…`), not an OAuth token. */
export const CONNECTION_CREDENTIAL_TOKEN_TYPE = 'urn:postern:params:oauth:token-type:connection-credential';
const SUBJECT_TOKEN_TYPES = ['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token'];
const CONNECTION_URN = 'urn:postern:connection:';
/** How long an exchange waits for the serving agents to know the new credential before answering. */
const ENFORCEMENT_WAIT_MS = 5_000;
/** A credential shorter-lived than this is of no use to a client; the subject token is about to expire. */
const MIN_TTL_SECONDS = 30;

export type TokenExchangeErrorCode =
  | 'invalid_request'
  | 'invalid_grant'
  | 'invalid_target'
  | 'unsupported_grant_type'
  | 'slow_down'
  | 'temporarily_unavailable';

/** An RFC 6749 §5.2 error answer: `error`, `error_description`, and its HTTP status. */
export class TokenExchangeError extends Error {
  constructor(
    readonly error: TokenExchangeErrorCode,
    message: string,
    readonly status = error === 'slow_down' ? 429 : error === 'temporarily_unavailable' ? 503 : 400,
  ) {
    super(message);
  }
}

export interface TokenExchangeAnswer {
  access_token: string;
  issued_token_type: string;
  /** RFC 8693 §2.2.1: N_A when the issued token is not an OAuth access token. */
  token_type: 'N_A';
  expires_in: number;
  /** Beyond the RFC's members: what a client needs to log in with the credential. */
  login_name: string;
  connection: { id: string; name: string; protocol: string; database: string };
}

/** Form parameters as the body parser hands them: strings, or arrays/objects when repeated or bracketed. */
export type FormParameters = Record<string, unknown>;

/**
 * RFC 8693 token exchange: a workload's platform token (GitHub Actions, GitLab CI, a Kubernetes
 * service account; a trusted issuer's JWT) for a connection credential bound to the machine
 * identity its claims map to, living minutes and never past the platform token. The platform
 * token stays here: agents only ever see the connection credential. Audited either way.
 */
@Injectable()
export class TokenExchangeService {
  constructor(
    private readonly workloads: WorkloadTokens,
    private readonly users: UsersService,
    private readonly connections: ConnectionsService,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly limiter: MutationRateLimiter,
    private readonly enforcement: PolicyEnforcement,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async exchange(form: FormParameters, clientAddress: string, now = new Date()): Promise<TokenExchangeAnswer> {
    await this.meter(clientAddress);
    const request = parseRequest(form);
    const verdict = await this.workloads.identify(request.subjectToken);
    if (!verdict.ok) {
      await this.refused(verdict.reason, clientAddress, {
        trustedIssuer: verdict.trusted?.name ?? null,
        unmapped: verdict.unmapped,
      });
      // Mapping details stay in the audit log: anyone can get a token from a public CI issuer,
      // and the rules would tell them which repository or branch to try.
      throw new TokenExchangeError(
        'invalid_grant',
        verdict.unmapped ? 'no mapping rule admits this token (the reason is in the audit log)' : verdict.reason,
      );
    }
    const { trusted } = verdict;
    const ttl = Math.min(
      this.config.tokenExchange.credentialTtlSeconds,
      Math.floor((verdict.expiresAt.getTime() - now.getTime()) / 1000),
    );
    if (ttl < MIN_TTL_SECONDS) {
      throw new TokenExchangeError(
        'invalid_grant',
        `the subject token expires in less than ${MIN_TTL_SECONDS} seconds`,
      );
    }
    const user = await this.users.upsertMachineIdentity({
      issuer: machineIssuer(trusted.issuer),
      name: verdict.identity,
      groups: verdict.groups,
    });
    const provenance = {
      identity: verdict.identity,
      trustedIssuer: trusted.name,
      issuer: trusted.issuer,
      rule: verdict.rule + 1,
      subject: storableText(verdict.subject, 255),
      ...Object.fromEntries(
        Object.entries(verdict.claims).map(([claim, value]) => [`claim.${claim}`, storableText(value, 255)]),
      ),
    };
    if (user.disabledAt) {
      await this.refused('machine identity is disabled', clientAddress, provenance, user.id);
      throw new TokenExchangeError('invalid_grant', `machine identity ${verdict.identity} is disabled`);
    }
    const actor = { id: user.id, kind: 'service' as const, roles: [], groups: user.groups };
    let minted;
    try {
      const connection = await this.connection(request.target);
      minted = await this.access.mintCredential(
        { connectionId: connection.id, userId: user.id, ttlSeconds: ttl },
        actor,
      );
    } catch (error) {
      if (!(error instanceof NotFoundError || error instanceof PermissionDeniedError)) throw error;
      await this.refused(`no access to connection ${request.target}`, clientAddress, provenance, user.id);
      // One answer for "no such connection" and "no access to it": names are not to be probed.
      throw new TokenExchangeError(
        'invalid_target',
        `connection ${JSON.stringify(request.target)} does not exist or ${verdict.identity} has no access rule for it`,
      );
    }
    // The job logs in right after this answer: the agent must know the credential by then.
    await this.enforcement.waitUntilEnforced(minted.connection, minted.policyVersion, ENFORCEMENT_WAIT_MS);
    await this.audit.record({
      kind: 'token_exchange.granted',
      actorId: user.id,
      actorKind: 'service',
      decision: 'allowed',
      connectionId: minted.connection.id,
      details: { ...provenance, credentialId: minted.credential.id, ttlSeconds: ttl, clientAddress },
    });
    return {
      access_token: minted.token,
      issued_token_type: CONNECTION_CREDENTIAL_TOKEN_TYPE,
      token_type: 'N_A',
      expires_in: Math.max(0, Math.floor((minted.credential.expiresAt.getTime() - now.getTime()) / 1000)),
      login_name: minted.loginName,
      connection: {
        id: minted.connection.id,
        name: minted.connection.name,
        // As agents and relays name protocols (POSTGRES → postgres).
        protocol: minted.connection.protocol.toLowerCase(),
        // What a client names as its database: the connection, which the relay routes by.
        database: minted.connection.name,
      },
    };
  }

  private async meter(clientAddress: string): Promise<void> {
    const { perMinutePerAddress, burstPerAddress } = this.config.tokenExchange;
    let taken: boolean;
    try {
      taken = await this.limiter.takeFrom(
        { name: 'token-exchange', rate: perMinutePerAddress / 60, burst: burstPerAddress },
        clientAddress,
      );
    } catch (error) {
      if (error instanceof DomainError) throw new TokenExchangeError('temporarily_unavailable', error.message);
      throw error;
    }
    if (!taken) {
      this.logger.warn({ clientAddress }, 'token exchange rate limit reached');
      throw new TokenExchangeError(
        'slow_down',
        `too many token requests from this address: at most ${perMinutePerAddress} a minute`,
      );
    }
  }

  private async connection(target: string): Promise<Connection> {
    const found = UUID.test(target) ? await this.connections.get(target) : await this.connections.findByName(target);
    if (!found) throw new NotFoundError('connection', target);
    return found;
  }

  private refused(
    reason: string,
    clientAddress: string,
    details: Record<string, string | number | boolean | null>,
    actorId: string | null = null,
  ): Promise<void> {
    return this.audit.record({
      kind: 'token_exchange.refused',
      actorId,
      actorKind: 'service',
      decision: 'denied',
      details: { ...details, reason: storableText(reason, 1000), clientAddress },
    });
  }
}

interface ExchangeRequest {
  subjectToken: string;
  /** The connection's name or id, from `audience` or `resource`. */
  target: string;
}

function parseRequest(form: FormParameters): ExchangeRequest {
  const grantType = single(form, 'grant_type');
  if (grantType === undefined) throw new TokenExchangeError('invalid_request', 'grant_type is required');
  if (grantType !== TOKEN_EXCHANGE_GRANT) {
    throw new TokenExchangeError('unsupported_grant_type', `grant_type must be ${TOKEN_EXCHANGE_GRANT}`);
  }
  const subjectToken = single(form, 'subject_token');
  if (!subjectToken) throw new TokenExchangeError('invalid_request', 'subject_token is required');
  const subjectTokenType = single(form, 'subject_token_type');
  if (subjectTokenType === undefined || !SUBJECT_TOKEN_TYPES.includes(subjectTokenType)) {
    throw new TokenExchangeError(
      'invalid_request',
      `subject_token_type must be one of ${SUBJECT_TOKEN_TYPES.join(', ')}`,
    );
  }
  const requested = single(form, 'requested_token_type');
  if (requested !== undefined && requested !== CONNECTION_CREDENTIAL_TOKEN_TYPE) {
    throw new TokenExchangeError(
      'invalid_request',
      `requested_token_type can only be ${CONNECTION_CREDENTIAL_TOKEN_TYPE}`,
    );
  }
  for (const unsupported of ['actor_token', 'actor_token_type']) {
    if (form[unsupported] !== undefined) {
      throw new TokenExchangeError('invalid_request', `${unsupported} is not supported (no delegation)`);
    }
  }
  const targets = [...values(form, 'audience'), ...values(form, 'resource')].map((value) =>
    value.startsWith(CONNECTION_URN) ? value.slice(CONNECTION_URN.length) : value,
  );
  const distinct = [...new Set(targets)];
  if (distinct.length === 0) {
    throw new TokenExchangeError('invalid_request', 'audience (or resource) naming the connection is required');
  }
  if (distinct.length > 1)
    throw new TokenExchangeError('invalid_target', 'a credential is for one connection: name one');
  if (distinct[0]!.length > 255) throw new TokenExchangeError('invalid_target', 'the connection name is too long');
  return { subjectToken, target: distinct[0]! };
}

/** A parameter given at most once (RFC 6749 §3.2: parameters must not be repeated). */
function single(form: FormParameters, name: string): string | undefined {
  const value = form[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TokenExchangeError('invalid_request', `${name} must be given once, as text`);
  return value;
}

/** `audience` and `resource` may be repeated (RFC 8693 §2.1). */
function values(form: FormParameters, name: string): string[] {
  const value = form[name];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.some((item) => typeof item !== 'string' || item.length === 0)) {
    throw new TokenExchangeError('invalid_request', `${name} must be text`);
  }
  return list as string[];
}
