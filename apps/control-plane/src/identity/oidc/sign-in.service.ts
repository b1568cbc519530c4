import { Inject, Injectable } from '@nestjs/common';
import { TokenRejectedError, type VerifiedIdentity } from '@postern/oidc';
import type { Logger } from '@postern/logging';
import * as client from 'openid-client';
import { AuditService } from '../../audit/audit.service.js';
import { CONFIG, type ControlPlaneConfig } from '../../platform/config/config.js';
import { DomainError } from '../../platform/errors/domain-error.js';
import { LOGGER } from '../../platform/infra/logging/nest-logger.js';
import { IdentityService } from '../identity.service.js';
import { ApiTokenVerifier } from '../token-verifier.js';
import { ApiSessionsService } from '../api-sessions.service.js';
import { discoverOidcClient } from './oidc-client.js';
import { safeRedirectPath } from './safe-redirect.js';
import { signInSettings, type SignInSettings } from './sign-in.settings.js';
import { SignInError, START_AGAIN } from './sign-in.errors.js';
import { SignInTransactionSealer } from './sign-in-transaction.js';
import { UsedSignInTransactions } from './used-transactions.js';

/** How long a person has between GET /auth/login and the IdP sending them back. */
export const SIGN_IN_TRANSACTION_TTL_MS = 10 * 60_000;

export interface SignInStart {
  authorizationUrl: URL;
  sealedTransaction: string;
}

export interface SignedIn {
  accessToken: string;
  /** Lifetime of the access token, which the session cookie must not outlive. */
  maxAgeSeconds: number;
  redirect: string;
}

/**
 * Sign-in for the dashboard and the API: OpenID Connect authorization code flow with PKCE,
 * state and nonce, against POSTERN_OIDC_ISSUER. The outcome is an access token for Postern's
 * audience — the same token the API accepts as a bearer — whose user (and IdP groups) is created
 * or updated here, at sign-in, from the verified claims.
 */
@Injectable()
export class OidcSignInService {
  private readonly settings: SignInSettings | null;
  /** Why sign-in is off, for the 404 answer and the boot log. */
  readonly disabledReason: string | null;
  /** Whether cookies carry `Secure` (see SignInSettings.secureCookies). */
  readonly secureCookies: boolean;
  private readonly sealer: SignInTransactionSealer;
  private client: Promise<client.Configuration> | null = null;

  constructor(
    private readonly verifier: ApiTokenVerifier,
    private readonly identities: IdentityService,
    private readonly usedTransactions: UsedSignInTransactions,
    private readonly audit: AuditService,
    private readonly sessions: ApiSessionsService,
    @Inject(CONFIG) config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.sealer = new SignInTransactionSealer(config.admin.bootstrapToken);
    const { settings, reason } = signInSettings(config);
    this.settings = settings;
    this.disabledReason = reason;
    this.secureCookies = settings?.secureCookies ?? true;
    if (config.oidc && reason) logger.warn({ reason }, 'OIDC sign-in disabled');
  }

  get enabled(): boolean {
    return this.settings !== null;
  }

  /** Starts a sign-in: the IdP URL to send the browser to, and the sealed transaction for its cookie. */
  async begin(redirect: unknown): Promise<SignInStart> {
    const settings = this.requireSettings();
    const configuration = await this.oidcClient();
    const now = Date.now();
    const transaction = {
      id: client.randomState(),
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      redirect: safeRedirectPath(redirect),
      expiresAt: now + SIGN_IN_TRANSACTION_TTL_MS,
    };
    const parameters: Record<string, string> = {
      redirect_uri: settings.redirectUrl.href,
      response_type: 'code',
      scope: settings.scopes.join(' '),
      state: transaction.state,
      nonce: transaction.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(transaction.codeVerifier),
      code_challenge_method: 'S256',
      ...(settings.resource ? { resource: settings.resource } : {}),
    };
    return {
      authorizationUrl: client.buildAuthorizationUrl(configuration, parameters),
      sealedTransaction: this.sealer.seal(transaction),
    };
  }

  /**
   * Completes a sign-in from the IdP's redirect: the transaction must be intact, unexpired, for
   * this `state`, and unused; the code is exchanged with the PKCE verifier; the ID token's
   * signature, issuer, audience, expiry and nonce are verified; the access token must be one the
   * API accepts and belong to the same subject.
   */
  async complete(query: URLSearchParams, sealedTransaction: string | undefined): Promise<SignedIn> {
    const settings = this.requireSettings();
    const idpError = query.get('error');
    if (idpError) {
      const description = query.get('error_description');
      throw new SignInError(
        400,
        `the identity provider refused the sign-in: ${clip(idpError)}${description ? ` (${clip(description)})` : ''}`,
      );
    }
    if (!sealedTransaction) {
      throw new SignInError(
        400,
        `no sign-in is in progress in this browser (its cookie is missing or expired): ${START_AGAIN}`,
      );
    }
    const transaction = this.sealer.open(sealedTransaction);
    if (!transaction) throw new SignInError(400, `the sign-in request is invalid or expired: ${START_AGAIN}`);
    if (query.get('state') !== transaction.state) {
      throw new SignInError(
        400,
        `the response does not belong to this browser's sign-in (state mismatch): ${START_AGAIN}`,
      );
    }
    if (!(await this.usedTransactions.consume(transaction.id, transaction.expiresAt - Date.now()))) {
      throw new SignInError(400, `this sign-in response was already used: ${START_AGAIN}`);
    }

    const currentUrl = new URL(settings.redirectUrl);
    currentUrl.search = query.toString();
    const tokens = await this.exchange(currentUrl, transaction, settings);
    const idToken = tokens.claims();
    if (!idToken) throw new SignInError(400, 'the identity provider returned no ID token');

    const identity = await this.verifyAccessToken(tokens.access_token);
    if (identity.kind !== 'user' || identity.subject !== idToken.sub) {
      throw new SignInError(400, 'the access token does not belong to the person who signed in');
    }
    const actor = await this.actorFor(identity);
    await this.sessions.start(actor.id, tokens.access_token, identity.expiresAt);
    await this.audit.record({
      kind: 'user.signed_in',
      actorId: actor.id,
      actorKind: 'user',
      details: { method: 'oidc-authorization-code', subject: identity.subject, groups: identity.groups.join(',') },
    });
    this.logger.info({ userId: actor.id, subject: identity.subject, groups: identity.groups }, 'user signed in');
    const remaining = Math.floor((identity.expiresAt.getTime() - Date.now()) / 1000);
    return {
      accessToken: tokens.access_token,
      maxAgeSeconds: Math.max(0, Math.min(tokens.expiresIn() ?? remaining, remaining)),
      redirect: transaction.redirect,
    };
  }

  /** Logout: ends the server-side session of the cookie's token (nothing to do without one). */
  async signOut(accessToken: string | undefined): Promise<void> {
    if (accessToken) await this.sessions.end(accessToken, 'signed out');
  }

  private async exchange(
    currentUrl: URL,
    transaction: { state: string; nonce: string; codeVerifier: string },
    settings: SignInSettings,
  ) {
    const configuration = await this.oidcClient();
    try {
      return await client.authorizationCodeGrant(
        configuration,
        currentUrl,
        {
          pkceCodeVerifier: transaction.codeVerifier,
          expectedState: transaction.state,
          expectedNonce: transaction.nonce,
          idTokenExpected: true,
        },
        settings.resource ? { resource: settings.resource } : undefined,
      );
    } catch (error) {
      throw explainClientError(error);
    }
  }

  private async verifyAccessToken(accessToken: string): Promise<VerifiedIdentity> {
    try {
      return await this.verifier.verify(accessToken);
    } catch (error) {
      if (!(error instanceof TokenRejectedError)) throw error;
      throw new SignInError(
        400,
        `the identity provider issued an access token the API does not accept (${error.message}); ` +
          'check POSTERN_OIDC_AUDIENCE against the audience or resource the IdP puts in access tokens',
      );
    }
  }

  private async actorFor(identity: VerifiedIdentity) {
    try {
      return await this.identities.syncFromSignIn(identity);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'PERMISSION_DENIED') throw new SignInError(403, error.message);
      throw error;
    }
  }

  private requireSettings(): SignInSettings {
    if (!this.settings) throw new SignInError(404, this.disabledReason ?? 'OIDC sign-in is not configured');
    return this.settings;
  }

  /** Discovery happens on first use and is retried on the next sign-in if the IdP was unreachable. */
  private oidcClient(): Promise<client.Configuration> {
    const settings = this.requireSettings();
    this.client ??= discoverOidcClient(settings).catch((error: unknown) => {
      this.client = null;
      this.logger.error({ err: error, issuer: settings.issuer }, 'OIDC discovery failed');
      throw new SignInError(502, `cannot reach the identity provider at ${settings.issuer}; try again later`);
    });
    return this.client;
  }
}

/** openid-client's errors as messages for the person signing in: codes and reasons, no secrets. */
function explainClientError(error: unknown): Error {
  if (error instanceof SignInError) return error;
  if (error instanceof client.AuthorizationResponseError) {
    return new SignInError(
      400,
      `the identity provider refused the sign-in: ${describe(error.error, error.error_description)}`,
    );
  }
  if (error instanceof client.ResponseBodyError) {
    return new SignInError(
      400,
      `the identity provider refused to issue tokens: ${describe(error.error, error.error_description)}`,
    );
  }
  if (error instanceof client.ClientError) {
    const cause = error.cause instanceof Error ? ` (${clip(error.cause.message)})` : '';
    return new SignInError(400, `the identity provider's response failed verification: ${clip(error.message)}${cause}`);
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.message === 'fetch failed')) {
    return new SignInError(502, 'cannot reach the identity provider; try again later');
  }
  return error instanceof Error ? error : new Error(String(error));
}

function describe(code: string, description: string | undefined): string {
  return description ? `${clip(code)} (${clip(description)})` : clip(code);
}

/** IdP-supplied text shown back to the browser: bounded and printable. */
function clip(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}
