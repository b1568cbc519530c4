import { BackendCode, EncryptionResponseCode, PG_LARGE_MESSAGE_LIMIT } from './codes.js';
import { ProtocolError } from './errors.js';
import { ParsedFrame, type Frame } from './frame.js';
import { FrameParser } from './frame-parser.js';
import { checkLimit, readTypedLength } from './limits.js';

export interface BackendParserOptions {
  /** Largest length word accepted. Default 1 GiB - 1, the most a PostgreSQL server can send. */
  maxMessageLength?: number;
}

type BackendPhase = 'message' | 'awaiting-ssl' | 'awaiting-gssenc' | 'encrypted';

const TYPED_HEADER_SIZE = 5;

/**
 * Frames the server → client byte stream: typed messages, plus the single byte answering an
 * SSLRequest or GSSENCRequest once the caller announced one with `expectSslResponse()` or
 * `expectGssencResponse()`.
 *
 * Any type byte is framed (a proxy forwards what a newer server may add). After the server
 * accepts encryption ('S' or 'G') the plaintext stream is over: any further byte fails with
 * `UNEXPECTED_DATA`, since bytes buffered before the TLS handshake could have been injected
 * by a man in the middle (CVE-2021-23222). Decrypted traffic needs a new parser.
 */
export class BackendParser extends FrameParser {
  private phase: BackendPhase = 'message';
  private readonly maxMessageLength: number;

  constructor(options: BackendParserOptions = {}) {
    super();
    this.maxMessageLength = checkLimit('maxMessageLength', options.maxMessageLength, PG_LARGE_MESSAGE_LIMIT);
  }

  /** The client just sent an SSLRequest: the next byte is 'S' or 'N'. */
  expectSslResponse(): void {
    this.expect('awaiting-ssl');
  }

  /** The client just sent a GSSENCRequest: the next byte is 'G' or 'N'. */
  expectGssencResponse(): void {
    this.expect('awaiting-gssenc');
  }

  private expect(phase: 'awaiting-ssl' | 'awaiting-gssenc'): void {
    if (this.phase !== 'message' || this.bufferedBytes > 0) {
      throw new ProtocolError('UNEXPECTED_DATA', 'the server sent data before the encryption request was answered');
    }
    this.phase = phase;
  }

  protected headerSize(firstByte: number): number {
    if (this.phase === 'message') return TYPED_HEADER_SIZE;
    if (this.phase === 'encrypted') return 1;
    // A server predating SSL support answers with an ErrorResponse instead of one byte.
    return firstByte === BackendCode.ErrorResponse ? TYPED_HEADER_SIZE : 1;
  }

  protected frameSize(buffer: Buffer, offset: number): number {
    const first = buffer[offset]!;
    switch (this.phase) {
      case 'encrypted':
        throw new ProtocolError('UNEXPECTED_DATA', 'plaintext bytes followed the acceptance of encryption');
      case 'awaiting-ssl':
      case 'awaiting-gssenc': {
        if (first === BackendCode.ErrorResponse) break;
        const accept = this.phase === 'awaiting-ssl' ? EncryptionResponseCode.SSL : EncryptionResponseCode.GSSENC;
        if (first !== accept && first !== EncryptionResponseCode.No) {
          throw new ProtocolError('MALFORMED', `invalid answer 0x${first.toString(16)} to an encryption request`);
        }
        return 1;
      }
      case 'message':
        break;
    }
    return 1 + readTypedLength(buffer, offset, this.maxMessageLength);
  }

  protected makeFrame(bytes: Buffer): Frame {
    const code = bytes[0]!;
    if (this.phase === 'message' || code === BackendCode.ErrorResponse) {
      this.phase = 'message';
      return new ParsedFrame('message', code, bytes.length - 1, bytes, TYPED_HEADER_SIZE);
    }
    this.phase = code === EncryptionResponseCode.No ? 'message' : 'encrypted';
    return new ParsedFrame('encryption-response', code, 1, bytes, 1);
  }

  protected override afterFrame(_frame: Frame, bytesFollowing: number): void {
    if (this.phase === 'encrypted' && bytesFollowing > 0) {
      throw new ProtocolError(
        'UNEXPECTED_DATA',
        `${bytesFollowing} plaintext bytes followed the acceptance of encryption`,
      );
    }
  }
}
