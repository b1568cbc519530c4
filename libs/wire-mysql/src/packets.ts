import { MAX_PACKET_PAYLOAD, PACKET_HEADER_SIZE } from './constants.js';
import { MySqlProtocolError } from './errors.js';

/** MySQL's own ceiling for `max_allowed_packet` (1 GiB): the default message limit. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 1024 * 1024 * 1024;

/**
 * One logical message: the payload of one packet, or of a run of packets of 0xFFFFFF bytes
 * ended by a shorter one (possibly empty), reassembled.
 */
export interface Message {
  /** Sequence id of the first packet. */
  readonly sequenceId: number;
  /** Sequence id of the last packet: the next packet of the exchange carries this + 1 (mod 256). */
  readonly lastSequenceId: number;
  /** How many packets carried the message (1 unless the payload is 16 MiB - 1 or longer). */
  readonly packetCount: number;
  /**
   * The payload. A view of the input chunk when the message lay in one chunk, otherwise a buffer
   * owned by this message alone.
   */
  readonly payload: Buffer;
  /**
   * The message as it was on the wire, headers included, to forward untouched. A view of the input
   * chunk when the message was one packet inside one chunk; otherwise rebuilt (and cached) on
   * first use, byte for byte the same, since MySQL's splitting rule allows one layout only.
   */
  readonly bytes: Buffer;
}

export type MessageHandler = (message: Message) => void;

class ParsedMessage implements Message {
  constructor(
    readonly sequenceId: number,
    readonly packetCount: number,
    readonly payload: Buffer,
    private wire: Buffer | undefined,
  ) {}

  get lastSequenceId(): number {
    return (this.sequenceId + this.packetCount - 1) & 0xff;
  }

  get bytes(): Buffer {
    return (this.wire ??= packet(this.payload, this.sequenceId));
  }
}

export interface PacketReaderOptions {
  /** Largest message (reassembled payload) accepted; default 1 GiB. */
  maxMessageLength?: number;
}

/**
 * Incremental reader over the byte chunks of one direction of a connection: packets in, logical
 * messages out. Lazy: it reads only the 4-byte headers, so a proxy forwards `message.bytes` and
 * decodes only what it inspects.
 *
 *  - A message that lies in one chunk is delivered as views of that chunk (no copy); so do not
 *    mutate or recycle chunks after handing them to `parse`.
 *  - A message spanning chunks or packets is copied once into a buffer of its own, when its
 *    last byte arrives; the bytes held until then grow with what was received, not with what a
 *    header announced.
 *  - The limit is checked on every header, before its bytes are buffered.
 *  - Continuation packets must carry the next sequence id. Sequence ids between messages
 *    (reset to 0 by every command) are the caller's business: see `Message.sequenceId`.
 */
export class PacketReader {
  private readonly maxMessageLength: number;
  private readonly header = Buffer.alloc(PACKET_HEADER_SIZE);
  private headerFilled = 0;
  /** Payload bytes still expected for the current packet; -1 between packets. */
  private packetRemaining = -1;
  private packetLength = 0;
  private lastSequence = 0;
  private firstSequence = 0;
  private packets = 0;
  private parts: Buffer[] = [];
  private messageLength = 0;
  private failure: MySqlProtocolError | undefined;

  constructor(options: PacketReaderOptions = {}) {
    const limit = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new RangeError(`maxMessageLength must be a non-negative integer, got ${limit}`);
    }
    this.maxMessageLength = limit;
  }

  /** Bytes of an incomplete message held back; non-zero at end of stream means a truncated message. */
  get bufferedBytes(): number {
    return this.headerFilled + this.messageLength;
  }

  /**
   * Feeds one chunk; calls `onMessage` for every message it completes, in order. Throws
   * `MySqlProtocolError` when the stream is invalid (messages before the bad one are delivered
   * first); the reader then stays failed and rethrows that error. If `onMessage` throws, the
   * exception propagates and the reader must be discarded.
   */
  parse(chunk: Buffer, onMessage: MessageHandler): void {
    if (this.failure !== undefined) throw this.failure;
    try {
      this.parseChunk(chunk, onMessage);
    } catch (error) {
      if (error instanceof MySqlProtocolError) this.failure = error;
      throw error;
    }
  }

  private parseChunk(chunk: Buffer, onMessage: MessageHandler): void {
    const end = chunk.length;
    let offset = 0;
    while (offset < end) {
      if (this.packetRemaining < 0) {
        // Fast path: a whole single-packet message inside this chunk.
        if (this.headerFilled === 0 && this.packets === 0 && end - offset >= PACKET_HEADER_SIZE) {
          const length = chunk.readUIntLE(offset, 3);
          const total = PACKET_HEADER_SIZE + length;
          if (length < MAX_PACKET_PAYLOAD && end - offset >= total) {
            this.checkLimit(length);
            const bytes = chunk.subarray(offset, offset + total);
            offset += total;
            onMessage(new ParsedMessage(bytes[3]!, 1, bytes.subarray(PACKET_HEADER_SIZE), bytes));
            continue;
          }
        }
        const take = Math.min(PACKET_HEADER_SIZE - this.headerFilled, end - offset);
        chunk.copy(this.header, this.headerFilled, offset, offset + take);
        this.headerFilled += take;
        offset += take;
        if (this.headerFilled < PACKET_HEADER_SIZE) return;
        this.startPacket();
        if (this.packetRemaining > 0) continue;
      } else {
        const take = Math.min(this.packetRemaining, end - offset);
        this.parts.push(chunk.subarray(offset, offset + take));
        this.messageLength += take;
        this.packetRemaining -= take;
        offset += take;
      }
      if (this.packetRemaining === 0) this.endPacket(onMessage);
    }
  }

  private startPacket(): void {
    this.headerFilled = 0;
    const length = this.header.readUIntLE(0, 3);
    const sequence = this.header[3]!;
    if (this.packets === 0) {
      this.firstSequence = sequence;
    } else if (sequence !== ((this.lastSequence + 1) & 0xff)) {
      throw new MySqlProtocolError(
        'PACKET_OUT_OF_ORDER',
        `continuation packet has sequence id ${sequence}, expected ${(this.lastSequence + 1) & 0xff}`,
      );
    }
    this.checkLimit(this.messageLength + length);
    this.lastSequence = sequence;
    this.packets++;
    this.packetLength = length;
    this.packetRemaining = length;
  }

  private endPacket(onMessage: MessageHandler): void {
    this.packetRemaining = -1;
    if (this.packetLength === MAX_PACKET_PAYLOAD) return; // the message continues
    const parts = this.parts;
    const payload =
      parts.length === 0 ? Buffer.alloc(0) : parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.messageLength);
    const message = new ParsedMessage(this.firstSequence, this.packets, payload, undefined);
    this.parts = [];
    this.messageLength = 0;
    this.packets = 0;
    onMessage(message);
  }

  private checkLimit(length: number): void {
    if (length > this.maxMessageLength) {
      throw new MySqlProtocolError(
        'MESSAGE_TOO_LARGE',
        `message of at least ${length} bytes exceeds the limit of ${this.maxMessageLength}`,
      );
    }
  }
}

/** How many packets carry a payload of `length` bytes. */
export function packetCountFor(length: number): number {
  return Math.floor(length / MAX_PACKET_PAYLOAD) + 1;
}

/** The sequence id that follows a message of `length` bytes sent with `sequenceId`. */
export function nextSequenceId(length: number, sequenceId: number): number {
  return (sequenceId + packetCountFor(length)) & 0xff;
}

/**
 * Frames a payload into packets: 4-byte headers, payloads of 0xFFFFFF bytes split across
 * packets (and an empty packet after an exact multiple), sequence ids counting from `sequenceId`.
 */
export function packet(payload: Uint8Array, sequenceId: number): Buffer {
  const count = packetCountFor(payload.length);
  const out = Buffer.allocUnsafe(payload.length + count * PACKET_HEADER_SIZE);
  let source = 0;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const length = Math.min(MAX_PACKET_PAYLOAD, payload.length - source);
    out.writeUIntLE(length, at, 3);
    out[at + 3] = (sequenceId + i) & 0xff;
    out.set(payload.subarray(source, source + length), at + PACKET_HEADER_SIZE);
    at += PACKET_HEADER_SIZE + length;
    source += length;
  }
  return out;
}

/** One whole packet at the start of a buffer, and how many bytes it took. */
export interface LeadingPacket {
  sequenceId: number;
  payload: Buffer;
  /** Header and payload: the rest of the buffer starts here. */
  length: number;
}

/**
 * The first packet in `buffer` (a view), or null until all of it has arrived: for a handshake
 * read one packet at a time, where what follows a packet may not be MySQL at all (a TLS
 * ClientHello after an SSLRequest) and must be handed on untouched. A packet of `maxLength`
 * bytes or more (which would continue in another packet) throws MESSAGE_TOO_LARGE as soon as its
 * header is read.
 */
export function leadingPacket(buffer: Buffer, maxLength: number): LeadingPacket | null {
  if (buffer.length < PACKET_HEADER_SIZE) return null;
  const length = buffer.readUIntLE(0, 3);
  if (length >= maxLength || length === MAX_PACKET_PAYLOAD) {
    throw new MySqlProtocolError('MESSAGE_TOO_LARGE', `a ${length}-byte packet where at most ${maxLength - 1} fit`);
  }
  const total = PACKET_HEADER_SIZE + length;
  if (buffer.length < total) return null;
  return { sequenceId: buffer[3]!, payload: buffer.subarray(PACKET_HEADER_SIZE, total), length: total };
}
