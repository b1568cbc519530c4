import type { ControlPlaneConfig } from '../../platform/config/config.js';
import { isLoopbackHttp } from './loopback.js';

export interface SignInSettings {
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  scopes: string[];
  redirectUrl: URL;
  /** RFC 8707 resource indicator for Postern's access tokens, when one is configured. */
  resource: string | null;
  /** Cookies carry `Secure` unless the redirect URL is plain http on loopback (development). */
  secureCookies: boolean;
}

/**
 * Sign-in settings from the OIDC configuration, or why sign-in is off. The redirect URL must be
 * https://, or plain http on loopback (development): session cookies are `Secure` everywhere
 * else, and a browser would drop them on an http page.
 */
export function signInSettings(config: ControlPlaneConfig): { settings: SignInSettings | null; reason: string | null } {
  const oidc = config.oidc;
  if (!oidc) return { settings: null, reason: 'OIDC sign-in is not configured (POSTERN_OIDC_ISSUER is not set)' };
  if (!oidc.redirectUrl) {
    return { settings: null, reason: 'OIDC sign-in is not configured (POSTERN_OIDC_REDIRECT_URL is not set)' };
  }
  const redirectUrl = new URL(oidc.redirectUrl);
  if (redirectUrl.protocol !== 'https:' && !isLoopbackHttp(redirectUrl)) {
    return {
      settings: null,
      reason: 'OIDC sign-in is disabled: POSTERN_OIDC_REDIRECT_URL must be https:// (plain http only on loopback)',
    };
  }
  const audience = oidc.audiences[0];
  return {
    settings: {
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      clientSecret: oidc.clientSecret,
      scopes: oidc.scopes.includes('openid') ? oidc.scopes : ['openid', ...oidc.scopes],
      redirectUrl,
      // An audience that is only the client id (the default) is not a resource indicator: sending
      // it as `resource` would make RFC 8707 servers refuse the request (invalid_target).
      resource: audience && audience !== oidc.clientId && URL.canParse(audience) ? audience : null,
      secureCookies: !isLoopbackHttp(redirectUrl),
    },
    reason: null,
  };
}
