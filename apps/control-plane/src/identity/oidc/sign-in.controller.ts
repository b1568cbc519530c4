import { Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from '@postern/logging';
import { Public } from '../../platform/auth/public.decorator.js';
import { SESSION_COOKIE } from '../../platform/auth/credentials.js';
import { LOGGER } from '../../platform/infra/logging/nest-logger.js';
import { readCookie, serializeCookie } from './cookies.js';
import { SignInError } from './sign-in.errors.js';
import { OidcSignInService, SIGN_IN_TRANSACTION_TTL_MS } from './sign-in.service.js';

/** Cookie carrying the sealed sign-in transaction between /auth/login and /auth/callback. */
export const SIGN_IN_COOKIE = 'postern_sign_in';
const SIGN_IN_COOKIE_PATH = '/auth';

/**
 * Browser sign-in (authorization code + PKCE). Public: these routes are how a caller obtains
 * credentials. Answers are JSON errors with a clear message, never a stack trace or a token.
 */
@Controller('auth')
@Public()
export class OidcSignInController {
  constructor(
    private readonly signIn: OidcSignInService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** GET /auth/login[?redirect=/path]: remembers the transaction in a cookie, sends the browser to the IdP. */
  @Get('login')
  async login(@Req() request: Request, @Res() response: Response): Promise<void> {
    noStore(response);
    try {
      const { authorizationUrl, sealedTransaction } = await this.signIn.begin(request.query['redirect']);
      response.append(
        'Set-Cookie',
        serializeCookie(SIGN_IN_COOKIE, sealedTransaction, {
          path: SIGN_IN_COOKIE_PATH,
          maxAgeSeconds: SIGN_IN_TRANSACTION_TTL_MS / 1000,
          secure: this.signIn.secureCookies,
        }),
      );
      response.redirect(302, authorizationUrl.href);
    } catch (error) {
      this.fail(response, error, 'sign-in could not start');
    }
  }

  /** GET /auth/callback: the IdP's redirect; sets the session cookie and returns to the saved path. */
  @Get('callback')
  async callback(@Req() request: Request, @Res() response: Response): Promise<void> {
    noStore(response);
    response.setHeader('Referrer-Policy', 'no-referrer');
    // The transaction is single-use whatever the outcome.
    response.append('Set-Cookie', this.clear(SIGN_IN_COOKIE, SIGN_IN_COOKIE_PATH));
    try {
      const query = new URL(request.originalUrl, 'http://callback.invalid').searchParams;
      const signedIn = await this.signIn.complete(query, readCookie(request.headers.cookie, SIGN_IN_COOKIE));
      response.append(
        'Set-Cookie',
        serializeCookie(SESSION_COOKIE, signedIn.accessToken, {
          path: '/',
          maxAgeSeconds: signedIn.maxAgeSeconds,
          secure: this.signIn.secureCookies,
        }),
      );
      response.redirect(303, signedIn.redirect);
    } catch (error) {
      this.fail(response, error, 'sign-in failed');
    }
  }

  /**
   * POST /auth/logout: ends the session on the server (its token is refused from now on, by every
   * replica, over HTTP and WebSocket) and forgets it in this browser.
   */
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() request: Request, @Res() response: Response): Promise<void> {
    noStore(response);
    if (!this.signIn.enabled) {
      this.fail(response, new SignInError(404, this.signIn.disabledReason ?? 'OIDC sign-in is not configured'), '');
      return;
    }
    try {
      await this.signIn.signOut(readCookie(request.headers.cookie, SESSION_COOKIE));
    } catch (error) {
      this.fail(response, error, 'sign-out failed');
      return;
    }
    response.append('Set-Cookie', this.clear(SESSION_COOKIE, '/'));
    response.status(204).end();
  }

  private clear(name: string, path: string): string {
    return serializeCookie(name, '', { path, maxAgeSeconds: 0, secure: this.signIn.secureCookies });
  }

  private fail(response: Response, error: unknown, what: string): void {
    if (error instanceof SignInError) {
      if (error.status !== 404) this.logger.info({ status: error.status, reason: error.message }, what);
      response
        .status(error.status)
        .json({ error: error.status === 404 ? 'not_found' : 'sign_in_failed', message: error.message });
      return;
    }
    this.logger.error({ err: error }, `${what}: unexpected error`);
    response.status(500).json({ error: 'internal_error', message: 'internal error' });
  }
}

function noStore(response: Response): void {
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Pragma', 'no-cache');
}
