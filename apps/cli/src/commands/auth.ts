import * as client from 'openid-client';
import type { CommandContext } from '../context.js';
import { loadCredentials, removeCredentials } from '../credentials.js';
import { UsageError } from '../errors.js';
import { login, loginWithBrowser } from '../login.js';
import { discover, reason } from '../oidc.js';
import { saveConfig } from '../profiles.js';
import { whoami as showWhoami } from '../whoami.js';
import { rememberTokenFile } from '../workload.js';

export const DEFAULT_CLIENT_ID = 'postern-cli';
export const DEFAULT_AUDIENCE = 'urn:postern:gateway';
export const DEFAULT_SCOPE = 'openid email profile groups offline_access';

export interface LoginFlags {
  issuer?: string;
  clientId?: string;
  audience?: string;
  scope?: string;
  api?: string;
  browser?: boolean;
  open?: boolean;
  tokenFile?: string;
}

/**
 * `postern login`: device flow by default, or `--browser` (authorization code + PKCE with a
 * redirect to 127.0.0.1). What was given is remembered in the profile for next time.
 */
export async function loginCommand(context: CommandContext, flags: LoginFlags): Promise<number> {
  if (flags.tokenFile !== undefined) return rememberTokenFile(context, flags.tokenFile, flags.api ?? null);
  const { config, name, profile } = await context.load();
  const path = await context.credentialsPath();
  const previous = await loadCredentials(path).then(
    ({ credentials }) => credentials,
    () => null,
  );
  const issuer = flags.issuer ?? profile.issuer ?? previous?.issuer ?? context.env['POSTERN_OIDC_ISSUER'];
  if (!issuer) throw new UsageError('--issuer is required the first time (the URL of your OpenID Provider)');
  const audience = flags.audience ?? profile.audience ?? DEFAULT_AUDIENCE;
  const api = flags.api ?? profile.api ?? previous?.api ?? null;
  const options = {
    issuer,
    clientId: flags.clientId ?? profile.clientId ?? DEFAULT_CLIENT_ID,
    audience: audience === '' ? null : audience,
    scope: flags.scope ?? DEFAULT_SCOPE,
    api,
    credentialsPath: path,
    signal: context.signal,
  };
  const output = { out: context.output.out, err: (text: string) => context.printer.note(text) };
  if (flags.browser) await loginWithBrowser({ ...options, open: flags.open !== false, env: context.env }, output);
  else await login(options, output);
  config.profiles[name] = {
    ...profile,
    issuer,
    clientId: options.clientId,
    ...(flags.audience !== undefined ? { audience: flags.audience } : {}),
    ...(api ? { api } : {}),
  };
  await saveConfig(context.env, config);
  return 0;
}

/**
 * `postern logout`: revokes the refresh token at the IdP (the grant behind it ends there, so the
 * stored tokens cannot be revived elsewhere) and forgets the local credentials.
 */
export async function logoutCommand(context: CommandContext): Promise<number> {
  const path = await context.credentialsPath();
  const stored = await loadCredentials(path).then(
    ({ credentials }) => credentials,
    () => null,
  );
  if (stored?.refreshToken) {
    try {
      const configuration = await discover(stored.issuer, stored.clientId);
      await client.tokenRevocation(configuration, stored.refreshToken, { token_type_hint: 'refresh_token' });
      context.printer.note('Revoked the refresh token at the identity provider.');
    } catch (error) {
      context.printer.warn(`warning: could not revoke the token at the identity provider (${reason(error)})`);
    }
  }
  const removed = await removeCredentials(path);
  context.printer.note(removed ? `Signed out; removed ${path}` : 'Not signed in.');
  return 0;
}

export async function whoamiCommand(context: CommandContext): Promise<number> {
  const credentials = await context.session();
  const me = await showWhoami(await context.apiUrl(), credentials.accessToken, {
    out: (text) => context.printer.line(text),
    err: context.output.err,
  });
  if (context.printer.format === 'json') context.output.out(JSON.stringify(me, null, 2));
  return 0;
}

export async function tokenCommand(context: CommandContext): Promise<number> {
  context.output.out((await context.session()).accessToken);
  return 0;
}
