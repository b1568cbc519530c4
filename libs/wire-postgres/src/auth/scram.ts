import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { malformed, ProtocolError } from '../errors.js';
import { saslprep } from './saslprep.js';

// SCRAM-SHA-256 client side (RFC 5802, RFC 7677) as pure functions: the caller moves the
// messages (SASLInitialResponse, AuthenticationSASLContinue, SASLResponse,
// AuthenticationSASLFinal). Channel binding (SCRAM-SHA-256-PLUS) is not supported, so the
// GS2 header is always "n,,".

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
const GS2_HEADER = 'n,,';
const CLIENT_NONCE_BYTES = 18;
/** PBKDF2 rounds a server may demand before we refuse (PostgreSQL's default is 4096). */
export const DEFAULT_MAX_SCRAM_ITERATIONS = 1_000_000;

export interface ScramClientFirst {
  /** client-first-message: the SASLInitialResponse data. */
  readonly message: string;
  readonly clientFirstMessageBare: string;
  readonly clientNonce: string;
}

export interface ScramServerFirst {
  /** Client nonce followed by the server's part. */
  readonly nonce: string;
  readonly salt: Buffer;
  readonly iterations: number;
}

export interface ScramClientFinal {
  /** client-final-message: the SASLResponse data. */
  readonly message: string;
  /** What the server must prove in its server-final-message. */
  readonly expectedServerSignature: Buffer;
}

export interface ScramKeys {
  readonly saltedPassword: Buffer;
  readonly clientKey: Buffer;
  /** What PostgreSQL stores: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. */
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

export interface ScramClientFirstOptions {
  /** PostgreSQL ignores it (the startup user counts) and libpq sends it empty. */
  username?: string;
  /** For tests; otherwise 18 random bytes in base64, like libpq. */
  nonce?: string;
}

export function scramClientFirst(options: ScramClientFirstOptions = {}): ScramClientFirst {
  const clientNonce = options.nonce ?? randomBytes(CLIENT_NONCE_BYTES).toString('base64');
  if (!isPrintable(clientNonce) || clientNonce === '') {
    throw new RangeError('a SCRAM nonce is printable ASCII without commas');
  }
  const clientFirstMessageBare = `n=${saslName(options.username ?? '')},r=${clientNonce}`;
  return { message: GS2_HEADER + clientFirstMessageBare, clientFirstMessageBare, clientNonce };
}

/** Parses and checks server-first-message (AuthenticationSASLContinue data). */
export function parseScramServerFirst(
  message: string | Uint8Array,
  clientNonce: string,
  maxIterations = DEFAULT_MAX_SCRAM_ITERATIONS,
): ScramServerFirst {
  const text = asText(message);
  const match = /^r=([^,]+),s=([A-Za-z0-9+/]+={0,2}),i=([1-9][0-9]{0,9})(,.*)?$/s.exec(text);
  if (match === null) throw malformed('SCRAM: invalid server-first-message');
  const [, nonce = '', salt = '', rounds = ''] = match;
  if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length || !isPrintable(nonce)) {
    throw new ProtocolError('AUTHENTICATION_FAILED', 'SCRAM: the server nonce does not extend the client nonce');
  }
  if (salt.length % 4 !== 0) throw malformed('SCRAM: invalid salt encoding');
  const iterations = Number(rounds);
  if (iterations > maxIterations) {
    throw new ProtocolError(
      'AUTHENTICATION_FAILED',
      `SCRAM: ${iterations} iterations exceed the limit of ${maxIterations}`,
    );
  }
  return { nonce, salt: Buffer.from(salt, 'base64'), iterations };
}

/** The keys RFC 5802 derives from a password; the password goes through SASLprep first. */
export function scramKeys(password: string, salt: Uint8Array, iterations: number): ScramKeys {
  const saltedPassword = pbkdf2Sync(saslprep(password), salt, iterations, 32, 'sha256');
  const clientKey = hmac(saltedPassword, 'Client Key');
  return {
    saltedPassword,
    clientKey,
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: hmac(saltedPassword, 'Server Key'),
  };
}

/** Derives the keys for a password, salt and iteration count (`scramKeys`, or a cache in front of it). */
export type ScramKeyDerivation = (password: string, salt: Uint8Array, iterations: number) => ScramKeys;

/**
 * Answers server-first-message: returns client-final-message with the proof, and the server
 * signature to expect in server-final-message. `deriveKeys` lets a caller that logs in often
 * with the same password reuse the PBKDF2 result (the expensive part) for a salt it has seen.
 */
export function scramClientFinal(
  first: ScramClientFirst,
  serverFirstMessage: string | Uint8Array,
  password: string,
  maxIterations = DEFAULT_MAX_SCRAM_ITERATIONS,
  deriveKeys: ScramKeyDerivation = scramKeys,
): ScramClientFinal {
  const serverFirstText = asText(serverFirstMessage);
  const serverFirst = parseScramServerFirst(serverFirstText, first.clientNonce, maxIterations);
  const keys = deriveKeys(password, serverFirst.salt, serverFirst.iterations);
  const withoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${serverFirst.nonce}`;
  const authMessage = `${first.clientFirstMessageBare},${serverFirstText},${withoutProof}`;
  const clientSignature = hmac(keys.storedKey, authMessage);
  const proof = Buffer.alloc(clientSignature.length);
  for (let i = 0; i < proof.length; i++) proof[i] = keys.clientKey[i]! ^ clientSignature[i]!;
  return {
    message: `${withoutProof},p=${proof.toString('base64')}`,
    expectedServerSignature: hmac(keys.serverKey, authMessage),
  };
}

/** Checks server-final-message (AuthenticationSASLFinal data); throws unless the server proved itself. */
export function verifyScramServerFinal(final: ScramClientFinal, serverFinalMessage: string | Uint8Array): void {
  const text = asText(serverFinalMessage);
  const error = /^e=([^,]*)/.exec(text);
  if (error !== null) {
    throw new ProtocolError('AUTHENTICATION_FAILED', `SCRAM: the server reported ${error[1]}`);
  }
  const match = /^v=([A-Za-z0-9+/]+={0,2})(,.*)?$/s.exec(text);
  if (match === null) throw malformed('SCRAM: invalid server-final-message');
  const signature = Buffer.from(match[1]!, 'base64');
  const expected = final.expectedServerSignature;
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    throw new ProtocolError('AUTHENTICATION_FAILED', 'SCRAM: the server signature does not match');
  }
}

function hmac(key: Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function asText(message: string | Uint8Array): string {
  return typeof message === 'string'
    ? message
    : Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('utf8');
}

/** RFC 5802 `printable`: %x21-2B / %x2D-7E (no comma). */
function isPrintable(value: string): boolean {
  return /^[\x21-\x2b\x2d-\x7e]*$/.test(value);
}

/** RFC 5802 saslname: ',' and '=' escaped. */
function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}
