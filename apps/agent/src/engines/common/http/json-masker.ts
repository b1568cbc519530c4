/*
 * A streaming JSON rewriter: bytes in, the same bytes out, except the scalar values a caller
 * chooses to replace. It never holds the document: only the string (or number) being read when a
 * chunk ends, bounded by `maxValueBytes`. Hand-written because the streaming JSON parsers on npm
 * (stream-json, jsonparse) emit parsed tokens and lose the original bytes; re-serialising every
 * token would cost far more than passing untouched bytes through as subarray views.
 *
 * Protocol-neutral: the HTTP engine decides what to mask (key paths, detectors); the Kubernetes
 * engine may use it for Secret bodies.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Where a value sits: object keys and array indexes from the root. */
export type JsonPath = readonly (string | number)[];

export interface JsonValueMasker {
  /**
   * Called before a value (scalar or container) at `path` is read. A non-null answer masks that
   * value whole (every scalar inside a container), with the answer passed back to `maskScalar`.
   */
  matchPath(path: JsonPath): string | null;
  /**
   * The JSON text to write instead of a scalar (`raw` is its JSON text as received, `text` its
   * decoded string when it is a string), or undefined to keep it. `match` is what `matchPath`
   * answered for it or for a container around it; null when only detectors apply.
   */
  maskScalar(raw: string, text: string | null, match: string | null): string | undefined;
  /** Whether strings no path matched must still be decoded and shown to `maskScalar` (detectors). */
  readonly scanStrings: boolean;
  /** False when no rule names a path: keys are then passed without being decoded. Default true. */
  readonly pathsMatter?: boolean;
  /**
   * A cheap look at a string's raw bytes (quotes included) before it is decoded: false when no
   * detector can match there, so it passes untouched. Absent: every string is decoded.
   */
  mayMatch?(bytes: Buffer, start: number, end: number): boolean;
}

export class JsonMaskError extends Error {
  override readonly name = 'JsonMaskError';
}

const enum C {
  Quote = 0x22,
  Backslash = 0x5c,
  Colon = 0x3a,
  Comma = 0x2c,
  OpenObject = 0x7b,
  CloseObject = 0x7d,
  OpenArray = 0x5b,
  CloseArray = 0x5d,
}

const enum Expect {
  /** A value (root, after ':' or in an array). */
  Value,
  /** A key or '}' (after '{' or ','). */
  Key,
  /** ':' after a key. */
  Colon,
  /** ',' or the container's close after a value. */
  After,
}

interface Frame {
  array: boolean;
  key: string | number;
  /** The mask that applies to this container's whole content, or null. */
  match: string | null;
}

const isWhitespace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isScalarByte = (b: number) =>
  (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || (b >= 0x61 && b <= 0x7a) || b === 0x45;

/**
 * Rewrites a JSON stream value by value. Tolerates several top-level values one after another
 * (JSON lines, `kubectl get -w`). Invalid JSON fails the stream with JsonMaskError: what cannot be
 * read cannot be masked, so nothing more is passed.
 */
export class JsonMaskingStream extends Transform {
  private readonly stack: Frame[] = [];
  private readonly path: (string | number)[] = [];
  private expect: Expect = Expect.Value;
  /** Inside a string (a key or a value); its bytes so far when it is kept for inspection. */
  private inString = false;
  private stringIsKey = false;
  private escaped = false;
  private inScalar = false;
  /** Bytes of the token being kept across chunks (a key, an inspected value). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Whether the current token is being kept (true) or passed through as it arrives (false). */
  private keeping = false;
  /** The match for the value being read. */
  private currentMatch: string | null = null;
  /** Values masked so far. */
  masked = 0;
  private readonly keys = new KeyCache();
  private lastReplacement = '';
  private lastReplacementBytes = Buffer.alloc(0);

  constructor(
    private readonly masker: JsonValueMasker,
    private readonly maxValueBytes = 1 << 20,
  ) {
    super();
  }

  /** What one input chunk becomes: views of it and replacements, pushed as one buffer. */
  private out: Buffer[] = [];

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.scan(chunk);
      this.flushOut();
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  /**
   * A whole body at once, without the stream machinery (small answers): the same bytes the stream
   * would give. Throws JsonMaskError when the document is cut short or malformed. Use a fresh
   * instance, and either this or the stream, not both.
   */
  maskWhole(body: Buffer): Buffer {
    this.scan(body);
    if (this.inScalar) this.endScalar(Buffer.alloc(0), 0, 0);
    if (this.inString || this.stack.length > 0) throw new JsonMaskError('the JSON document ended early');
    const out = this.out;
    this.out = [];
    return out.length === 0 ? Buffer.alloc(0) : out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** One push per input chunk (a socket write per value would cost a syscall and a chunk header each). */
  private flushOut(): void {
    const out = this.out;
    if (out.length === 0) return;
    this.out = [];
    super.push(out.length === 1 ? out[0] : Buffer.concat(out));
  }

  private output(bytes: Buffer): void {
    if (bytes.length > 0) this.out.push(bytes);
  }

  override _flush(done: TransformCallback): void {
    if (this.inScalar) {
      try {
        this.endScalar(Buffer.alloc(0), 0, 0);
        this.flushOut();
      } catch (error) {
        done(error as Error);
        return;
      }
    }
    if (this.inString || this.stack.length > 0) done(new JsonMaskError('the JSON document ended early'));
    else done();
  }

  private scan(chunk: Buffer): void {
    /** Start of the bytes not yet output (everything before it went out or is kept). */
    let from = 0;
    let i = 0;
    const n = chunk.length;
    /** Next backslash at or after i (-1: none left in this chunk; -2: not looked for yet). */
    let backslash = -2;
    this.tokenStart = -1;
    while (i < n) {
      if (this.inString) {
        // Find the closing quote with memchr-speed searches, stepping over escapes.
        if (this.escaped) {
          this.escaped = false;
          i++;
          continue;
        }
        const quote = chunk.indexOf(C.Quote, i);
        if (backslash !== -1 && backslash < i) backslash = chunk.indexOf(C.Backslash, i);
        if (backslash >= 0 && (quote < 0 || backslash < quote)) {
          i = backslash + 2;
          if (i > n) {
            this.escaped = true;
            i = n;
          }
          continue;
        }
        if (quote < 0) {
          i = n;
          break;
        }
        i = quote + 1;
        from = this.endString(chunk, from, i);
        continue;
      }
      if (this.inScalar) {
        while (i < n && isScalarByte(chunk[i]!)) i++;
        if (i === n) break;
        from = this.endScalar(chunk, from, i);
        continue;
      }
      const b = chunk[i]!;
      if (isWhitespace(b)) {
        i++;
        continue;
      }
      switch (this.expect) {
        case Expect.Key:
          if (b === C.Quote) {
            this.tokenStart = i;
            this.inString = true;
            this.stringIsKey = true;
            this.keeping = this.masker.pathsMatter !== false;
            i++;
          } else if (b === C.CloseObject && this.stack.at(-1)?.key === '') {
            i++;
            this.close(false);
          } else throw new JsonMaskError('expected a key');
          continue;
        case Expect.Colon:
          if (b !== C.Colon) throw new JsonMaskError('expected ":"');
          this.expect = Expect.Value;
          i++;
          continue;
        case Expect.After:
          if (b === C.Comma) {
            const top = this.stack.at(-1);
            if (!top) throw new JsonMaskError('unexpected ","');
            if (top.array) {
              top.key = (top.key as number) + 1;
              this.path[this.path.length - 1] = top.key;
              this.expect = Expect.Value;
            } else this.expect = Expect.Key;
            i++;
          } else if (b === C.CloseObject || b === C.CloseArray) {
            i++;
            this.close(b === C.CloseArray);
          } else if (this.stack.length === 0) {
            this.expect = Expect.Value; // another top-level value (JSON lines)
          } else throw new JsonMaskError('expected "," or the end of a container');
          continue;
        case Expect.Value: {
          if (b === C.CloseArray && this.stack.at(-1)?.array && this.stack.at(-1)?.key === 0 && this.emptyArray) {
            i++;
            this.close(true);
            continue;
          }
          const match =
            this.inheritedMatch() ?? (this.masker.pathsMatter === false ? null : this.masker.matchPath(this.path));
          if (b === C.OpenObject || b === C.OpenArray) {
            const array = b === C.OpenArray;
            this.stack.push({ array, key: array ? 0 : '', match });
            this.path.push(array ? 0 : '');
            this.emptyArray = array;
            this.expect = array ? Expect.Value : Expect.Key;
            i++;
            continue;
          }
          this.emptyArray = false;
          this.currentMatch = match;
          this.keeping = match !== null || (b === C.Quote && this.masker.scanStrings);
          this.tokenStart = i;
          if (b === C.Quote) {
            this.inString = true;
            this.stringIsKey = false;
            i++;
          } else if (isScalarByte(b)) {
            this.inScalar = true;
          } else throw new JsonMaskError(`unexpected byte 0x${b.toString(16)}`);
          continue;
        }
      }
    }
    if ((this.inString || this.inScalar) && this.keeping) {
      // A token to read continues in the next chunk: hold it back (copied), send what precedes it.
      const start = this.tokenStart >= 0 ? this.tokenStart : from;
      if (start > from) this.output(chunk.subarray(from, start));
      this.keep(chunk, start, n);
      this.tokenStart = -1;
      return;
    }
    if (from < n) this.output(chunk.subarray(from, n));
  }

  /** Where the token being read starts in the current chunk; -1 when it began in an earlier one (kept). */
  private tokenStart = -1;

  /** True right after '[' (so ']' closes an empty array rather than being an error). */
  private emptyArray = false;

  private inheritedMatch(): string | null {
    return this.stack.at(-1)?.match ?? null;
  }

  private close(array: boolean): void {
    const top = this.stack.pop();
    if (!top || top.array !== array) throw new JsonMaskError('mismatched close');
    this.path.pop();
    this.emptyArray = false;
    this.expect = Expect.After;
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    this.pendingBytes += to - from;
    if (this.pendingBytes > this.maxValueBytes)
      throw new JsonMaskError('a JSON value is larger than the masking limit');
    // Copied: the chunk's memory is not ours to hold.
    this.pending.push(Buffer.from(chunk.subarray(from, to)));
  }

  /** The whole token ending at `to`: a view when it lies in this chunk, else the kept bytes joined. */
  private token(chunk: Buffer, to: number): Buffer {
    if (this.tokenStart >= 0) {
      if (to - this.tokenStart > this.maxValueBytes)
        throw new JsonMaskError('a JSON value is larger than the masking limit');
      return chunk.subarray(this.tokenStart, to);
    }
    if (this.pendingBytes + to > this.maxValueBytes)
      throw new JsonMaskError('a JSON value is larger than the masking limit');
    this.pending.push(chunk.subarray(0, to));
    const all = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return all;
  }

  /**
   * A token ended at `to` (`replacement` undefined: unchanged). Returns where unsent bytes start:
   * unchanged tokens in this chunk stay in the run of untouched bytes; a kept token or a
   * replacement is written out here.
   */
  private finishToken(chunk: Buffer, from: number, to: number, token: Buffer, replacement: string | undefined): number {
    const inChunk = this.tokenStart >= 0;
    const start = this.tokenStart;
    this.tokenStart = -1;
    if (replacement === undefined) {
      if (inChunk) return from;
      this.output(token);
      return to;
    }
    this.masked++;
    if (inChunk && start > from) this.output(chunk.subarray(from, start));
    // Masks repeat (a redacted value is always the same text): reuse the last one's bytes.
    if (replacement !== this.lastReplacement) {
      this.lastReplacement = replacement;
      this.lastReplacementBytes = Buffer.from(replacement);
    }
    this.output(this.lastReplacementBytes);
    return to;
  }

  /** The string ended at `to` (after its quote); returns where unsent bytes start. */
  private endString(chunk: Buffer, from: number, to: number): number {
    this.inString = false;
    if (!this.keeping) {
      this.tokenStart = -1;
      if (this.stringIsKey) this.expect = Expect.Colon;
      else this.afterValue();
      return from;
    }
    this.keeping = false;
    if (
      !this.stringIsKey &&
      this.currentMatch === null &&
      this.tokenStart >= 0 &&
      this.masker.mayMatch?.(chunk, this.tokenStart, to) === false
    ) {
      this.tokenStart = -1;
      this.afterValue();
      return from;
    }
    if (this.stringIsKey && this.tokenStart >= 0) {
      // A key within this chunk: decoded in place, no view of it made (keys repeat per record).
      const key = this.keys.decode(chunk, this.tokenStart, to);
      this.stack.at(-1)!.key = key;
      this.path[this.path.length - 1] = key;
      this.expect = Expect.Colon;
      this.tokenStart = -1;
      return from;
    }
    const token = this.token(chunk, to);
    if (this.stringIsKey) {
      const key = decodeJsonString(token);
      const top = this.stack.at(-1)!;
      top.key = key;
      this.path[this.path.length - 1] = key;
      this.expect = Expect.Colon;
      return this.finishToken(chunk, from, to, token, undefined);
    }
    const raw = token.toString('utf8');
    const replacement = this.masker.maskScalar(raw, decodeJsonString(token, raw), this.currentMatch);
    this.afterValue();
    return this.finishToken(chunk, from, to, token, replacement);
  }

  private endScalar(chunk: Buffer, from: number, to: number): number {
    this.inScalar = false;
    if (!this.keeping) {
      this.tokenStart = -1;
      this.afterValue();
      return from;
    }
    this.keeping = false;
    const token = this.token(chunk, to);
    const raw = token.toString('utf8');
    if (!/^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/.test(raw)) {
      throw new JsonMaskError('invalid JSON literal');
    }
    const replacement = raw === 'null' ? undefined : this.masker.maskScalar(raw, null, this.currentMatch);
    this.afterValue();
    return this.finishToken(chunk, from, to, token, replacement);
  }

  private afterValue(): void {
    this.currentMatch = null;
    this.expect = Expect.After;
  }
}

/**
 * Keys already decoded, by their bytes: a body repeats the same few keys once per record, and
 * comparing a key's bytes with a cached copy costs less than decoding it again. Direct-mapped
 * by length and first/last bytes; a miss decodes and replaces the slot.
 */
class KeyCache {
  private readonly bytes: (Buffer | undefined)[] = new Array<Buffer | undefined>(256);
  private readonly strings: string[] = new Array<string>(256);

  /** The key whose token (quotes included) is `chunk[start, end)`. */
  decode(chunk: Buffer, start: number, end: number): string {
    const from = start + 1;
    const to = end - 1;
    const length = to - from;
    if (length === 0) return '';
    if (length > 64) return decodeToken(chunk, start, end);
    const slot = (length * 31 + chunk[from]! * 7 + chunk[to - 1]!) & 0xff;
    const cached = this.bytes[slot];
    if (cached !== undefined && cached.length === length && chunk.compare(cached, 0, length, from, to) === 0) {
      return this.strings[slot]!;
    }
    const key = decodeToken(chunk, start, end);
    this.bytes[slot] = Buffer.from(chunk.subarray(from, to));
    this.strings[slot] = key;
    return key;
  }
}

/** The string whose JSON token (quotes included) is `bytes[start, end)`. */
function decodeToken(bytes: Buffer, start: number, end: number): string {
  const backslash = bytes.indexOf(0x5c, start);
  if (backslash < 0 || backslash >= end) return bytes.toString('utf8', start + 1, end - 1);
  return JSON.parse(bytes.toString('utf8', start, end)) as string;
}

/** A JSON string token's value; without escapes it is the bytes between the quotes. */
function decodeJsonString(token: Buffer, raw?: string): string {
  if (token.indexOf(0x5c) < 0) return token.toString('utf8', 1, token.length - 1);
  return JSON.parse(raw ?? token.toString('utf8')) as string;
}
