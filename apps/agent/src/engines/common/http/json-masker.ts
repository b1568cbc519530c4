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

  constructor(
    private readonly masker: JsonValueMasker,
    private readonly maxValueBytes = 1 << 20,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.scan(chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.inScalar) {
      try {
        this.endScalar(Buffer.alloc(0), 0, 0);
      } catch (error) {
        done(error as Error);
        return;
      }
    }
    if (this.inString || this.stack.length > 0) done(new JsonMaskError('the JSON document ended early'));
    else done();
  }

  private scan(chunk: Buffer): void {
    /** Start of the bytes not yet pushed or kept. */
    let from = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.inString) {
        // Find the closing quote, honouring escapes.
        while (i < n) {
          const b = chunk[i]!;
          if (this.escaped) this.escaped = false;
          else if (b === C.Backslash) this.escaped = true;
          else if (b === C.Quote) break;
          i++;
        }
        if (i === n) {
          if (this.keeping) this.keep(chunk, from, n);
          else this.push(chunk.subarray(from, n));
          return;
        }
        i++; // past the quote
        from = this.endString(chunk, from, i);
        continue;
      }
      if (this.inScalar) {
        while (i < n && isScalarByte(chunk[i]!)) i++;
        if (i === n) {
          if (this.keeping) this.keep(chunk, from, n);
          else this.push(chunk.subarray(from, n));
          return;
        }
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
            if (i > from) this.push(chunk.subarray(from, i));
            from = i;
            this.inString = true;
            this.stringIsKey = true;
            this.keeping = true;
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
          const match = this.inheritedMatch() ?? this.masker.matchPath(this.path);
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
          if (i > from) this.push(chunk.subarray(from, i));
          from = i;
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
    if (from >= n) return;
    if ((this.inString || this.inScalar) && this.keeping) this.keep(chunk, from, n);
    else this.push(chunk.subarray(from, n));
  }

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
    if (this.pendingBytes > this.maxValueBytes) throw new JsonMaskError('a JSON value is larger than the masking limit');
    // Copied: the chunk's memory is not ours to hold.
    this.pending.push(Buffer.from(chunk.subarray(from, to)));
  }

  private takeToken(chunk: Buffer, from: number, to: number): Buffer {
    if (this.pendingBytes + (to - from) > this.maxValueBytes) {
      throw new JsonMaskError('a JSON value is larger than the masking limit');
    }
    if (this.pending.length === 0) return chunk.subarray(from, to);
    this.pending.push(chunk.subarray(from, to));
    const all = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return all;
  }

  /** The string ended at `to` (after its quote); returns where unpushed bytes start. */
  private endString(chunk: Buffer, from: number, to: number): number {
    this.inString = false;
    if (!this.keeping) {
      this.afterValue();
      return from;
    }
    this.keeping = false;
    const token = this.takeToken(chunk, from, to);
    if (this.stringIsKey) {
      const key = JSON.parse(token.toString('utf8')) as string;
      const top = this.stack.at(-1)!;
      top.key = key;
      this.path[this.path.length - 1] = key;
      this.push(token);
      this.expect = Expect.Colon;
      return to;
    }
    const raw = token.toString('utf8');
    const replacement = this.masker.maskScalar(raw, JSON.parse(raw) as string, this.currentMatch);
    if (replacement !== undefined) this.masked++;
    this.push(replacement !== undefined ? Buffer.from(replacement) : token);
    this.afterValue();
    return to;
  }

  private endScalar(chunk: Buffer, from: number, to: number): number {
    this.inScalar = false;
    if (!this.keeping) {
      this.afterValue();
      return from;
    }
    this.keeping = false;
    const token = this.takeToken(chunk, from, to);
    const raw = token.toString('utf8');
    if (!/^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/.test(raw)) {
      throw new JsonMaskError('invalid JSON literal');
    }
    const replacement = raw === 'null' ? undefined : this.masker.maskScalar(raw, null, this.currentMatch);
    if (replacement !== undefined) this.masked++;
    this.push(replacement !== undefined ? Buffer.from(replacement) : token);
    this.afterValue();
    return to;
  }

  private afterValue(): void {
    this.currentMatch = null;
    this.expect = Expect.After;
  }
}
