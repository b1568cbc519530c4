import type { Principal, ResolvedConnection } from '../engine.js';
import type { ClientLogin } from './client-handshake.js';
import { errorCode, Errors, SessionEnd } from './errors.js';
import type { MysqlContext } from './rules.js';

/**
 * Checks the client's Postern credential with the agent's authenticator (limits, lockouts and the
 * staleness bound apply there) and words every refusal as MySQL would: 1045 for a credential,
 * 1044 for a connection without access, 1040 when rate limited.
 */
export async function authenticateClient(
  context: MysqlContext,
  connection: ResolvedConnection,
  login: ClientLogin,
  signal: AbortSignal,
): Promise<Principal> {
  const result = await abortable(context.authenticate(connection, login.user, login.password), signal);
  if (result.ok) return result.principal;
  const summary = `${result.reason}: ${result.message}`;
  const denied = `Access denied for user '${login.user}' (using password: YES)`;
  switch (result.reason) {
    case 'invalid_credential':
      throw new SessionEnd('auth_failed', summary, { code: errorCode(Errors.AccessDenied), message: denied });
    case 'expired_credential':
      throw new SessionEnd('auth_failed', summary, {
        code: errorCode(Errors.AccessDenied),
        message: `${denied}: the credential has expired`,
        hint: 'obtain a fresh credential and connect again',
      });
    case 'no_access':
      throw new SessionEnd('auth_failed', summary, {
        code: errorCode(Errors.DatabaseAccessDenied),
        message: `Access denied for user '${login.user}' to database '${connection.name}'`,
      });
    case 'user_mismatch':
      throw new SessionEnd('auth_failed', summary, {
        code: errorCode(Errors.AccessDenied),
        message: `${denied}: the credential does not belong to user '${login.user}'`,
        ...(result.loginNames?.length ? { hint: `connect with --user=${result.loginNames.at(-1)}` } : {}),
      });
    case 'rate_limited':
      throw new SessionEnd('auth_failed', summary, {
        code: errorCode(Errors.TooManyConnections),
        message: result.message,
      });
    case 'policy_stale':
      throw new SessionEnd('auth_failed', summary, {
        code: errorCode(Errors.ServerShutdown),
        message: 'the Postern agent cannot reach its control plane: new sessions are refused until it can',
      });
  }
}
/** Settles with `promise`, or rejects as soon as `signal` aborts (the work itself goes on). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
