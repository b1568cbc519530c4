import {
  BackendCode,
  BackendParser,
  decodeAuthentication,
  decodeBackendKeyData,
  decodeErrorResponse,
  ErrorField,
  frontend,
  md5Password,
  SCRAM_SHA_256,
  scramClientFinal,
  scramClientFirst,
  verifyScramServerFinal,
  type Authentication,
  type Frame,
  type ScramClientFinal,
  type ScramClientFirst,
  type ScramKeyDerivation,
} from '@postern/wire-postgres';
import { FrameReader } from '../common/frame-reader.js';
import { TargetUnavailableError } from './target-transport.js';
import type { Duplex } from 'node:stream';

export interface TargetLogin {
  user: string;
  database: string;
  /** Never logged, never put in an error message. */
  password: string;
  /** Client parameters already filtered (see startup-parameters.ts). */
  parameters: ReadonlyMap<string, string>;
  /**
   * Asked before the password itself (cleartext) or its MD5 (as good as the password against
   * PostgreSQL) leaves; throws when it must not. SCRAM reveals neither and is not asked.
   */
  revealPassword(method: 'cleartext' | 'md5'): void;
  /** SCRAM key derivation (a cache of salted passwords); PBKDF2 on every login without it. */
  scramKeys?: ScramKeyDerivation;
}

/** An authenticated target session, ready for queries. */
export interface TargetSession {
  parser: BackendParser;
  /** What the target sent after AuthenticationOk, ending with ReadyForQuery, BackendKeyData removed. */
  greeting: Frame[];
  /** The target's real cancel key. */
  backendKey: { processId: number; secretKey: Buffer };
  /** Frames the target sent after ReadyForQuery in the same read (normally none). */
  pending: Frame[];
}

/** The target answered the login with an ErrorResponse. Its text is for logs, not for the client. */
export class TargetRefusedError extends Error {
  override readonly name = 'TargetRefusedError';

  constructor(
    readonly sqlState: string,
    readonly targetMessage: string,
  ) {
    super(`the target refused the session: ${sqlState} ${targetMessage}`);
  }
}

/** The target asked for something Postern cannot do (GSSAPI, SSPI, channel binding, …). */
export class TargetAuthUnsupportedError extends Error {
  override readonly name = 'TargetAuthUnsupportedError';
}

/** Mutable SCRAM exchange state between the three SASL messages. */
interface SaslExchange {
  first?: ScramClientFirst;
  final?: ScramClientFinal;
  verified: boolean;
}

/**
 * Sends the StartupMessage and answers the target's authentication request (cleartext, MD5 or
 * SCRAM-SHA-256 without channel binding), then collects the greeting up to ReadyForQuery.
 * With SCRAM, AuthenticationOk counts only after the server proved it knows the password
 * (its signature in SASLFinal), as libpq insists, so a man in the middle cannot skip it.
 */
export async function authenticateToTarget(
  stream: Duplex,
  login: TargetLogin,
  signal: AbortSignal,
  countBytes: (bytes: number) => void,
): Promise<TargetSession> {
  const parser = new BackendParser();
  const reader = new FrameReader(stream, parser, countBytes);
  let detached = false;
  try {
    const startup = new Map<string, string>([['user', login.user], ['database', login.database], ...login.parameters]);
    stream.write(frontend.startupMessage(startup));
    await answerAuthentication(stream, reader, login, signal);
    const { greeting, backendKey } = await collectGreeting(reader, signal);
    detached = true;
    return { parser, greeting, backendKey, pending: reader.detach() };
  } catch (error) {
    if (error instanceof Error && error.name === 'PeerClosedError') {
      throw new TargetUnavailableError('the target closed the connection during login');
    }
    throw error;
  } finally {
    if (!detached) reader.detach();
  }
}

async function answerAuthentication(
  stream: Duplex,
  reader: FrameReader<Frame>,
  login: TargetLogin,
  signal: AbortSignal,
): Promise<void> {
  const sasl: SaslExchange = { verified: false };
  for (;;) {
    const frame = await reader.next(signal);
    if (frame.code === BackendCode.ErrorResponse) throw refused(frame);
    if (frame.code === BackendCode.NoticeResponse || frame.code === BackendCode.NegotiateProtocolVersion) continue;
    if (frame.code !== BackendCode.Authentication) {
      throw new TargetUnavailableError(`unexpected message 0x${frame.code.toString(16)} from the target during login`);
    }
    const request = decodeAuthentication(frame);
    if (request.type === 'AuthenticationOk') {
      if (sasl.first !== undefined && !sasl.verified) {
        throw new TargetUnavailableError('the target ended SCRAM authentication without proving its identity');
      }
      return;
    }
    const answer = answerRequest(request, login, sasl);
    if (answer !== null) stream.write(answer);
  }
}

/** The message answering one authentication request, or null when none is due. */
function answerRequest(request: Authentication, login: TargetLogin, sasl: SaslExchange): Buffer | null {
  switch (request.type) {
    case 'AuthenticationCleartextPassword':
      login.revealPassword('cleartext');
      return frontend.passwordMessage(login.password);
    case 'AuthenticationMD5Password':
      login.revealPassword('md5');
      return frontend.passwordMessage(md5Password(login.user, login.password, request.salt));
    case 'AuthenticationSASL':
      if (!request.mechanisms.includes(SCRAM_SHA_256)) {
        throw new TargetAuthUnsupportedError(
          `the target offers only SASL mechanisms ${request.mechanisms.join(', ')}; ` +
            'Postern supports SCRAM-SHA-256 without channel binding',
        );
      }
      sasl.first = scramClientFirst();
      return frontend.saslInitialResponse(SCRAM_SHA_256, sasl.first.message);
    case 'AuthenticationSASLContinue':
      if (sasl.first === undefined || sasl.final !== undefined) throw outOfOrder(request.type);
      sasl.final = scramClientFinal(sasl.first, request.data, login.password, undefined, login.scramKeys);
      return frontend.saslResponse(sasl.final.message);
    case 'AuthenticationSASLFinal':
      if (sasl.final === undefined) throw outOfOrder(request.type);
      verifyScramServerFinal(sasl.final, request.data);
      sasl.verified = true;
      return null;
    case 'AuthenticationKerberosV5':
    case 'AuthenticationGSS':
    case 'AuthenticationGSSContinue':
    case 'AuthenticationSSPI':
      throw new TargetAuthUnsupportedError(`the target requires ${request.type.slice(14)} authentication`);
    case 'AuthenticationOk':
      return null;
  }
}

async function collectGreeting(
  reader: FrameReader<Frame>,
  signal: AbortSignal,
): Promise<{ greeting: Frame[]; backendKey: TargetSession['backendKey'] }> {
  const greeting: Frame[] = [];
  let backendKey: TargetSession['backendKey'] | undefined;
  for (;;) {
    const frame = await reader.next(signal);
    switch (frame.code) {
      case BackendCode.ErrorResponse:
        throw refused(frame);
      case BackendCode.BackendKeyData: {
        const key = decodeBackendKeyData(frame);
        backendKey = { processId: key.processId, secretKey: Buffer.from(key.secretKey) };
        break;
      }
      case BackendCode.ReadyForQuery:
        greeting.push(frame);
        if (backendKey === undefined) throw new TargetUnavailableError('the target sent no BackendKeyData');
        return { greeting, backendKey };
      case BackendCode.ParameterStatus:
      case BackendCode.NoticeResponse:
        greeting.push(frame);
        break;
      default:
        throw new TargetUnavailableError(`unexpected message 0x${frame.code.toString(16)} from the target after login`);
    }
  }
}

function refused(frame: Frame): TargetRefusedError {
  const fields = decodeErrorResponse(frame).fields;
  return new TargetRefusedError(fields[ErrorField.Code] ?? 'XX000', fields[ErrorField.Message] ?? '');
}

function outOfOrder(type: string): TargetUnavailableError {
  return new TargetUnavailableError(`the target sent ${type} out of order`);
}
