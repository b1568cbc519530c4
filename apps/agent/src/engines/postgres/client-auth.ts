import type { Duplex } from 'node:stream';
import { backend, decodePasswordMessage, FrontendCode, type Frame } from '@postern/wire-postgres';
import type { Principal, ResolvedConnection } from '../engine.js';
import type { FrameReader } from '../common/frame-reader.js';
import { SessionEnd, SqlStates } from './session-end.js';
import type { PostgresContext } from './rules.js';

/**
 * Asks the client for its Postern credential as a cleartext password (the ingress is where TLS
 * protects it) and checks it with the agent's authenticator. Nothing touches the target here.
 * The caller bounds the whole exchange with the authentication deadline in `signal`.
 */
export async function authenticateClient(
  stream: Duplex,
  reader: FrameReader<Frame>,
  connection: ResolvedConnection,
  user: string,
  context: PostgresContext,
  maxPasswordLength: number,
  signal: AbortSignal,
): Promise<Principal> {
  stream.write(backend.authenticationCleartextPassword());
  const frame = await reader.next(signal);
  if (frame.kind !== 'message' || frame.code !== FrontendCode.Password) {
    const message = `expected password response, got message type ${frame.code}`;
    throw new SessionEnd('protocol_error', message, { code: SqlStates.ProtocolViolation, message });
  }
  // The body is the password and its NUL terminator.
  if (frame.body.length - 1 > maxPasswordLength) {
    const message = `password packet exceeds ${maxPasswordLength} bytes`;
    throw new SessionEnd('auth_failed', message, { code: SqlStates.ProtocolViolation, message });
  }
  const { password } = decodePasswordMessage(frame);
  if (password === '') {
    throw new SessionEnd('auth_failed', 'empty password', {
      code: SqlStates.InvalidPassword,
      message: 'empty password returned by client',
    });
  }
  const result = await abortable(context.authenticate(connection, user, password), signal);
  if (result.ok) return result.principal;
  const summary = `${result.reason}: ${result.message}`;
  switch (result.reason) {
    case 'invalid_credential':
      throw new SessionEnd('auth_failed', summary, {
        code: SqlStates.InvalidPassword,
        message: `password authentication failed for user "${user}"`,
      });
    case 'expired_credential':
      throw new SessionEnd('auth_failed', summary, {
        code: SqlStates.InvalidPassword,
        message: `the credential of user "${user}" has expired`,
        hint: 'Obtain a fresh credential and connect again.',
      });
    case 'no_access':
      throw new SessionEnd('auth_failed', summary, {
        code: SqlStates.InvalidAuthorizationSpecification,
        message: `user "${user}" has no access to connection "${connection.name}"`,
      });
    case 'user_mismatch':
      throw new SessionEnd('auth_failed', summary, {
        code: SqlStates.InvalidAuthorizationSpecification,
        message: `the credential presented does not belong to user "${user}"`,
        ...(result.loginNames?.length ? { hint: `Connect with user=${result.loginNames.at(-1)}.` } : {}),
      });
    case 'rate_limited':
      throw new SessionEnd('auth_failed', summary, {
        code: SqlStates.TooManyConnections,
        message: result.message,
      });
    case 'policy_stale':
      throw new SessionEnd('auth_failed', summary, {
        code: SqlStates.CannotConnectNow,
        message: 'the Postern agent cannot reach its control plane: new sessions are refused until it can',
        hint: 'Sessions already open go on under the last policy. Try again shortly.',
      });
  }
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (the work itself goes on). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
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
