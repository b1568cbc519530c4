import {
  FrontendCode,
  PG_MAX_AUTH_TOKEN_LENGTH,
  PG_MAX_STARTUP_PACKET_LENGTH,
  PG_SMALL_MESSAGE_LIMIT,
  StartupRequestCode,
} from './codes.js';
import { ProtocolError } from './errors.js';
import { ParsedFrame, type Frame, type FrameKind } from './frame.js';
import { FrameParser } from './frame-parser.js';
import { checkLimit, readTypedLength } from './limits.js';

export interface FrontendParserOptions {
  /**
   * Largest length word accepted for Query, Parse, Bind, FunctionCall and CopyData.
   * Default 64 MiB. Control messages are further capped at PostgreSQL's own 10000 bytes and
   * password/SASL messages at 65535, whatever this says.
   */
  maxMessageLength?: number;
  /** Largest startup packet accepted. Default 10000, PostgreSQL's MAX_STARTUP_PACKET_LENGTH. */
  maxStartupLength?: number;
  /**
   * Where the stream starts: `'startup'` (a fresh connection, the default) or `'message'`
   * (typed messages only, e.g. after the proxy ran the startup phase itself).
   */
  phase?: 'startup' | 'message';
}

export const DEFAULT_FRONTEND_MAX_MESSAGE_LENGTH = 64 * 1024 * 1024;

/** Secret keys are 4 bytes in protocol 3.0 and at most 256 in 3.2. */
const MAX_CANCEL_REQUEST_LENGTH = 12 + 256;
const STARTUP_HEADER_SIZE = 8;
const TYPED_HEADER_SIZE = 5;
const PROTOCOL_MAJOR_3 = 3;

/**
 * Frames the client → server byte stream: the untyped startup-phase packets (StartupMessage,
 * SSLRequest, GSSENCRequest, CancelRequest), then typed messages once a StartupMessage passed.
 *
 * Type bytes the protocol does not define fail with `UNKNOWN_MESSAGE_TYPE`, as PostgreSQL
 * itself closes such connections: with sync lost, the length word is garbage.
 * Bytes in the same chunk after an SSLRequest or GSSENCRequest fail with `UNEXPECTED_DATA`:
 * a client must wait for the one-byte answer, and plaintext sent before a TLS handshake could
 * be injected by a man in the middle (CVE-2021-23214).
 */
export class FrontendParser extends FrameParser {
  private inStartupPhase: boolean;
  private readonly maxStartupLength: number;
  /** Maximum length word per type byte; 0 for type bytes the protocol does not define. */
  private readonly limits = new Int32Array(256);
  /** The limits the parser was built with: `limitMessage` never goes above them. */
  private readonly ceilings = new Int32Array(256);

  constructor(options: FrontendParserOptions = {}) {
    super();
    const max = checkLimit('maxMessageLength', options.maxMessageLength, DEFAULT_FRONTEND_MAX_MESSAGE_LENGTH);
    this.maxStartupLength = checkLimit('maxStartupLength', options.maxStartupLength, PG_MAX_STARTUP_PACKET_LENGTH);
    this.inStartupPhase = (options.phase ?? 'startup') === 'startup';
    const small = Math.min(max, PG_SMALL_MESSAGE_LIMIT);
    for (const code of [
      FrontendCode.Close,
      FrontendCode.Describe,
      FrontendCode.Execute,
      FrontendCode.Flush,
      FrontendCode.Sync,
      FrontendCode.Terminate,
      FrontendCode.CopyDone,
      FrontendCode.CopyFail,
    ]) {
      this.limits[code] = small;
    }
    for (const code of [
      FrontendCode.Query,
      FrontendCode.Parse,
      FrontendCode.Bind,
      FrontendCode.FunctionCall,
      FrontendCode.CopyData,
    ]) {
      this.limits[code] = max;
    }
    this.limits[FrontendCode.Password] = Math.min(max, PG_MAX_AUTH_TOKEN_LENGTH);
    this.ceilings.set(this.limits);
  }

  /**
   * Sets the largest length word accepted for one message type, up to what the parser was
   * built with: a proxy can accept only small messages before the client is authenticated, and
   * need not assemble a Query or Parse bigger than the statements its policy checks.
   */
  limitMessage(code: FrontendCode, maxLength: number): void {
    const ceiling = this.ceilings[code]!;
    if (ceiling === 0) throw new RangeError(`0x${code.toString(16)} is not a frontend message type`);
    this.limits[code] = Math.min(ceiling, checkLimit('maxLength', maxLength, ceiling));
  }

  /** True until a StartupMessage has been framed. */
  get startupPhase(): boolean {
    return this.inStartupPhase;
  }

  protected headerSize(): number {
    return this.inStartupPhase ? STARTUP_HEADER_SIZE : TYPED_HEADER_SIZE;
  }

  protected frameSize(buffer: Buffer, offset: number): number {
    if (!this.inStartupPhase) {
      const code = buffer[offset]!;
      const limit = this.limits[code]!;
      if (limit === 0) {
        throw new ProtocolError('UNKNOWN_MESSAGE_TYPE', `invalid frontend message type 0x${code.toString(16)}`);
      }
      return 1 + readTypedLength(buffer, offset, limit);
    }
    const length = buffer.readInt32BE(offset);
    this.checkStartupLength(length);
    const request = buffer.readInt32BE(offset + 4);
    switch (request) {
      case StartupRequestCode.SSLRequest:
      case StartupRequestCode.GSSENCRequest:
        if (length !== 8) throw new ProtocolError('INVALID_LENGTH', `encryption request length ${length} is not 8`);
        return length;
      case StartupRequestCode.CancelRequest:
        if (length < 16 || length > MAX_CANCEL_REQUEST_LENGTH) {
          throw new ProtocolError('INVALID_LENGTH', `cancel request length ${length} is out of range`);
        }
        return length;
      default:
        if (request >>> 16 !== PROTOCOL_MAJOR_3) {
          throw new ProtocolError(
            'UNSUPPORTED_PROTOCOL_VERSION',
            `unsupported frontend protocol ${request >>> 16}.${request & 0xffff}`,
          );
        }
        return length;
    }
  }

  /**
   * A startup length word is judged as soon as its four bytes are in, like PostgreSQL does: a
   * client that sends a typed message first (a Terminate, 5 bytes) is refused at once instead of
   * waiting for bytes that never come.
   */
  protected override checkPartialHeader(partial: Buffer): void {
    if (this.inStartupPhase && partial.length >= 4) this.checkStartupLength(partial.readInt32BE(0));
  }

  private checkStartupLength(length: number): void {
    if (length < STARTUP_HEADER_SIZE) {
      throw new ProtocolError('INVALID_LENGTH', `startup packet length ${length} is below 8`);
    }
    if (length > this.maxStartupLength) {
      throw new ProtocolError('MESSAGE_TOO_LARGE', `startup packet length ${length} exceeds ${this.maxStartupLength}`);
    }
  }

  protected makeFrame(bytes: Buffer): Frame {
    if (!this.inStartupPhase) {
      return new ParsedFrame('message', bytes[0]!, bytes.length - 1, bytes, TYPED_HEADER_SIZE);
    }
    const code = bytes.readInt32BE(4);
    let kind: FrameKind;
    switch (code) {
      case StartupRequestCode.SSLRequest:
        kind = 'ssl-request';
        break;
      case StartupRequestCode.GSSENCRequest:
        kind = 'gssenc-request';
        break;
      case StartupRequestCode.CancelRequest:
        kind = 'cancel-request';
        break;
      default:
        kind = 'startup';
        this.inStartupPhase = false;
    }
    return new ParsedFrame(kind, code, bytes.length, bytes, STARTUP_HEADER_SIZE);
  }

  protected override afterFrame(frame: Frame, bytesFollowing: number): void {
    if (bytesFollowing > 0 && (frame.kind === 'ssl-request' || frame.kind === 'gssenc-request')) {
      throw new ProtocolError(
        'UNEXPECTED_DATA',
        `${bytesFollowing} bytes followed an ${frame.kind} before the server answered it`,
      );
    }
  }
}
