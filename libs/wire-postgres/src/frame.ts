/**
 * What kind of packet a frame is. Typed messages are `'message'`; the rest are the untyped
 * packets of the startup phase and the one-byte answer to an encryption request.
 */
export type FrameKind =
  'message' | 'startup' | 'ssl-request' | 'gssenc-request' | 'cancel-request' | 'encryption-response';

/**
 * One complete packet, as it was on the wire. Forward `bytes` untouched; decode on demand with
 * the `decode*` functions.
 *
 * `bytes` and `body` are views: over the chunk given to `parse` when the packet lay in one chunk
 * (so do not reuse or mutate chunks after handing them over), otherwise over a buffer the parser
 * allocated for this frame alone and never writes again.
 */
export interface Frame {
  readonly kind: FrameKind;
  /**
   * `'message'`: the type byte (see `FrontendCode`, `BackendCode`).
   * Startup-phase packets: the int32 after the length (protocol version or request code, see
   * `StartupRequestCode`). `'encryption-response'`: the byte itself ('S', 'G' or 'N').
   */
  readonly code: number;
  /** The length word (counts itself, not the type byte); 1 for an encryption response. */
  readonly length: number;
  /** The whole packet: type byte (if any), length word and body. */
  readonly bytes: Buffer;
  /** The payload after the header (type byte + length, or length + request code). */
  readonly body: Buffer;
}

/** Receives frames in wire order. */
export type FrameHandler = (frame: Frame) => void;

/**
 * The parsers' frames. `body` is made on first use: most frames a proxy forwards are never
 * decoded, and a view per frame is an allocation per DataRow.
 */
export class ParsedFrame implements Frame {
  private view: Buffer | undefined;

  constructor(
    readonly kind: FrameKind,
    readonly code: number,
    readonly length: number,
    readonly bytes: Buffer,
    /** Where the body starts in `bytes`. */
    private readonly headerSize: number,
  ) {}

  get body(): Buffer {
    return (this.view ??= this.bytes.subarray(this.headerSize));
  }
}
