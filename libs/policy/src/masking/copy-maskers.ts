import type { CopyMasker } from './contract.js';
import { MaskingError } from './masking-error.js';
import { asMaskingError } from './row-masker.js';
import { readInt16, readInt32, type Replacement, Splice } from './splice.js';
import type { ValuePlan } from './value-plans.js';

const COPY_DATA = 0x64; // 'd'
const FRAME_HEADER = 5; // type byte, int32 length
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;

/**
 * The plans of a COPY's columns. `expected` null: the columns are unknown (COPY (query) …), every
 * field gets `plans[0]` and any field count is accepted.
 */
export interface CopyColumns {
  plans: readonly (ValuePlan | null)[];
  expected: number | null;
}

function planAt(columns: CopyColumns, index: number): ValuePlan | null {
  return (columns.expected === null ? columns.plans[0] : columns.plans[index]) ?? null;
}

/**
 * COPY … TO STDOUT output, one CopyData at a time. PostgreSQL sends one row per message, but
 * nothing in the protocol promises it: rows split across messages are carried over (copied
 * only then), and each returned frame holds the complete rows seen so far.
 */
abstract class CopyStreamMasker implements CopyMasker {
  protected readonly splice = new Splice();
  private carry: Buffer | null = null;

  maskCopyData(frame: Buffer): Buffer {
    try {
      if (frame.length < FRAME_HEADER || frame[0] !== COPY_DATA) throw new MaskingError('not a CopyData message');
      if (readInt32(frame, 1) !== frame.length - 1) throw new MaskingError('CopyData length does not match its frame');
      const body = frame.subarray(FRAME_HEADER);
      const carried = this.carry;
      const data = carried === null ? body : Buffer.concat([carried, body]);
      this.splice.reset();
      const consumed = this.consume(data, false);
      this.carry = consumed < data.length ? Buffer.from(data.subarray(consumed)) : null;
      if (carried === null && this.carry === null && this.splice.size === 0) return frame;
      return this.frameOf(data, consumed);
    } catch (error) {
      throw asMaskingError(error);
    } finally {
      this.splice.reset();
    }
  }

  finish(): Buffer | null {
    const data = this.carry;
    if (data === null) return null;
    this.carry = null;
    try {
      this.splice.reset();
      return this.frameOf(data, this.consume(data, true));
    } catch (error) {
      throw asMaskingError(error);
    } finally {
      this.splice.reset();
    }
  }

  private frameOf(data: Buffer, consumed: number): Buffer {
    const out = this.splice.build(data, 0, consumed, FRAME_HEADER);
    out[0] = COPY_DATA;
    out.writeInt32BE(out.length - 1, 1);
    return out;
  }

  /**
   * Masks the complete rows at the start of `data` into the splice; returns where the first
   * incomplete row starts. `final`: no more data will come, a trailing partial row is a row.
   */
  protected abstract consume(data: Buffer, final: boolean): number;
}

// ---------------------------------------------------------------- text format

/**
 * Text format: a row per line, fields split by a one-byte delimiter, backslash escapes (`\\`,
 * `\t`, `\n`, `\N` for NULL, octal, `\x` hex…). A field without a backslash is masked as is;
 * one with escapes is decoded first, and a masked field is escaped again.
 */
export class TextCopyMasker extends CopyStreamMasker {
  private headerPending: boolean;

  constructor(
    private readonly columns: CopyColumns,
    private readonly delimiter: number,
    private readonly nullMarker: Buffer,
    header: boolean,
  ) {
    super();
    this.headerPending = header;
  }

  protected consume(data: Buffer, final: boolean): number {
    let at = 0;
    while (at < data.length) {
      let end = data.indexOf(NEWLINE, at);
      if (end === -1) {
        if (!final) return at;
        end = data.length;
      }
      if (this.headerPending) this.headerPending = false;
      else this.maskRow(data, at, end);
      at = end + 1;
    }
    return data.length;
  }

  private maskRow(data: Buffer, start: number, end: number): void {
    let column = 0;
    let fieldStart = start;
    let escaped = false;
    for (let i = start; i <= end; i++) {
      if (i === end || data[i] === this.delimiter) {
        this.maskField(data, column++, fieldStart, i, escaped);
        fieldStart = i + 1;
        escaped = false;
      } else if (data[i] === BACKSLASH) {
        escaped = true;
        i++;
      }
    }
    const expected = this.columns.expected;
    if (expected !== null && column !== expected) {
      throw new MaskingError(`COPY row has ${column} fields, the table ${expected}`);
    }
  }

  private maskField(data: Buffer, column: number, start: number, end: number, escaped: boolean): void {
    const plan = planAt(this.columns, column);
    if (plan === null || bytesEqual(data, start, end, this.nullMarker)) return;
    let masked: Replacement;
    if (escaped) {
      const decoded = decodeTextField(data, start, end);
      masked = plan.mask(decoded, 0, decoded.length);
    } else {
      masked = plan.mask(data, start, end);
    }
    if (masked === undefined) return;
    this.splice.replaceRaw(start, end, masked === null ? this.nullMarker : encodeTextField(masked, this.delimiter));
  }
}

const ESCAPED: Record<number, number> = { 0x62: 8, 0x66: 12, 0x6e: 10, 0x72: 13, 0x74: 9, 0x76: 11 }; // b f n r t v

/** COPY text's de-escaping, as COPY FROM reads it. */
export function decodeTextField(data: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = data[i]!;
    if (c !== BACKSLASH || i + 1 === end) {
      out[n++] = c;
      continue;
    }
    const next = data[++i]!;
    if (next >= 0x30 && next <= 0x37) {
      let value = next - 0x30; // up to three octal digits
      for (let k = 0; k < 2 && i + 1 < end && data[i + 1]! >= 0x30 && data[i + 1]! <= 0x37; k++) {
        value = value * 8 + data[++i]! - 0x30;
      }
      out[n++] = value & 0xff;
    } else if (next === 0x78 && i + 1 < end && isHex(data[i + 1]!)) {
      let value = hexValue(data[++i]!); // \x and one or two hex digits
      if (i + 1 < end && isHex(data[i + 1]!)) value = value * 16 + hexValue(data[++i]!);
      out[n++] = value;
    } else {
      out[n++] = ESCAPED[next] ?? next;
    }
  }
  return out.subarray(0, n);
}

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
const hexValue = (c: number) => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10);

const ESCAPE_AS: Record<number, number> = { 8: 0x62, 12: 0x66, 10: 0x6e, 13: 0x72, 9: 0x74, 11: 0x76, 0x5c: 0x5c };

/** COPY text's escaping, as COPY TO writes it (backslash, control characters, the delimiter). */
export function encodeTextField(value: Buffer, delimiter: number): Buffer {
  let extra = 0;
  for (let i = 0; i < value.length; i++) if (ESCAPE_AS[value[i]!] !== undefined || value[i] === delimiter) extra++;
  if (extra === 0) return value;
  const out = Buffer.allocUnsafe(value.length + extra);
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const escape = ESCAPE_AS[c];
    if (escape !== undefined || c === delimiter) {
      out[n++] = BACKSLASH;
      out[n++] = escape ?? c;
    } else {
      out[n++] = c;
    }
  }
  return out;
}

function bytesEqual(data: Buffer, start: number, end: number, other: Buffer): boolean {
  if (end - start !== other.length) return false;
  for (let i = 0; i < other.length; i++) if (data[start + i] !== other[i]) return false;
  return true;
}

// ---------------------------------------------------------------- CSV

/**
 * CSV: fields split by the delimiter, quoted fields may hold delimiters, quotes (doubled, or
 * after the escape character) and newlines; an unquoted field equal to the NULL string is NULL.
 * A masked field is always written quoted.
 */
export class CsvCopyMasker extends CopyStreamMasker {
  private headerPending: boolean;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly quoted: boolean[] = [];

  constructor(
    private readonly columns: CopyColumns,
    private readonly delimiter: number,
    private readonly quote: number,
    private readonly escape: number,
    private readonly nullMarker: Buffer,
    header: boolean,
  ) {
    super();
    this.headerPending = header;
  }

  protected consume(data: Buffer, final: boolean): number {
    let at = 0;
    while (at < data.length) {
      const next = this.splitRow(data, at, final);
      if (next === -1) return at;
      if (this.headerPending) this.headerPending = false;
      else this.maskRow(data);
      at = next;
    }
    return data.length;
  }

  /** Records the fields of the row at `start`; returns where the next row starts, or -1 if cut. */
  private splitRow(data: Buffer, start: number, final: boolean): number {
    const n = data.length;
    this.starts.length = this.ends.length = this.quoted.length = 0;
    let i = start;
    for (;;) {
      const fieldStart = i;
      const quoted = data[i] === this.quote && i < n;
      if (quoted) {
        i = this.quotedEnd(data, i, final);
        if (i === -1) {
          if (final) throw new MaskingError('COPY CSV ends inside a quoted field');
          return -1;
        }
      }
      while (i < n && data[i] !== this.delimiter && data[i] !== NEWLINE) i++;
      if (i === n && !final) return -1;
      this.starts.push(fieldStart);
      this.ends.push(i);
      this.quoted.push(quoted);
      if (i < n && data[i] === this.delimiter) {
        i++;
        continue;
      }
      return i === n ? n : i + 1;
    }
  }

  /** Index just past the closing quote of the field opening at `open`, or -1 when cut. */
  private quotedEnd(data: Buffer, open: number, final: boolean): number {
    const { quote, escape } = this;
    const n = data.length;
    for (let i = open + 1; i < n; i++) {
      const c = data[i];
      if (escape !== quote && c === escape) {
        if (i + 1 === n) return -1;
        if (data[i + 1] === quote || data[i + 1] === escape) i++; // an escaped quote or escape
      } else if (c === quote) {
        if (escape !== quote) return i + 1;
        // A doubled quote is a literal one; a quote as the last byte may still be either.
        if (i + 1 === n) return final ? n : -1;
        if (data[i + 1] !== quote) return i + 1;
        i++;
      }
    }
    return -1;
  }

  private maskRow(data: Buffer): void {
    const count = this.starts.length;
    const expected = this.columns.expected;
    if (expected !== null && count !== expected) {
      throw new MaskingError(`COPY row has ${count} fields, the table ${expected}`);
    }
    for (let column = 0; column < count; column++) {
      const plan = planAt(this.columns, column);
      if (plan === null) continue;
      const start = this.starts[column]!;
      const end = this.ends[column]!;
      const quoted = this.quoted[column]!;
      if (!quoted && bytesEqual(data, start, end, this.nullMarker)) continue;
      const value = quoted ? this.unquote(data, start, end) : data.subarray(start, end);
      const masked = plan.mask(value, 0, value.length);
      if (masked === undefined) continue;
      this.splice.replaceRaw(start, end, masked === null ? this.nullMarker : this.quoteField(masked));
    }
  }

  /** A quoted field's value: quotes removed, escaped (or doubled) quotes and escapes resolved. */
  private unquote(data: Buffer, start: number, end: number): Buffer {
    const { quote, escape } = this;
    const out = Buffer.allocUnsafe(end - start);
    let n = 0;
    let inside = false;
    for (let i = start; i < end; i++) {
      const c = data[i]!;
      if (!inside) {
        if (c === quote) inside = true;
        else out[n++] = c;
      } else if (escape !== quote && c === escape && i + 1 < end && (data[i + 1] === quote || data[i + 1] === escape)) {
        out[n++] = data[++i]!;
      } else if (c === quote) {
        if (escape === quote && i + 1 < end && data[i + 1] === quote) out[n++] = data[++i]!;
        else inside = false;
      } else {
        out[n++] = c;
      }
    }
    return out.subarray(0, n);
  }

  private quoteField(value: Buffer): Buffer {
    let extra = 2;
    for (let i = 0; i < value.length; i++) if (value[i] === this.quote || value[i] === this.escape) extra++;
    const out = Buffer.allocUnsafe(value.length + extra);
    let n = 0;
    out[n++] = this.quote;
    for (let i = 0; i < value.length; i++) {
      const c = value[i]!;
      if (c === this.quote || c === this.escape) out[n++] = this.escape;
      out[n++] = c;
    }
    out[n++] = this.quote;
    return out;
  }
}

// ---------------------------------------------------------------- binary

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_FIXED = SIGNATURE.length + 8; // signature, int32 flags, int32 extension length
const FLAG_OIDS = 1 << 16;

/**
 * Binary format: a header (signature, flags, extension), then tuples of an int16 field count
 * and, per field, an int32 length (-1: NULL) and the value in its type's binary format; an
 * int16 -1 ends the data. Values are masked like binary DataRow columns.
 */
export class BinaryCopyMasker extends CopyStreamMasker {
  private headerSeen = false;
  private ended = false;

  constructor(private readonly columns: CopyColumns) {
    super();
  }

  protected consume(data: Buffer, final: boolean): number {
    let at = 0;
    if (!this.headerSeen) {
      at = this.headerEnd(data);
      if (at === -1) return this.cut(final, 0);
      this.headerSeen = true;
    }
    while (at < data.length) {
      if (this.ended) throw new MaskingError('binary COPY has data after its trailer');
      if (at + 2 > data.length) return this.cut(final, at);
      const fields = readInt16(data, at);
      if (fields === -1) {
        this.ended = true;
        at += 2;
        continue;
      }
      const expected = this.columns.expected;
      if (fields < 0 || (expected !== null && fields !== expected)) {
        throw new MaskingError(`binary COPY tuple has ${fields} fields, the table ${expected}`);
      }
      const end = tupleEnd(data, at + 2, fields);
      if (end === -1) return this.cut(final, at);
      this.maskTuple(data, at + 2, fields);
      at = end;
    }
    return at;
  }

  private cut(final: boolean, at: number): number {
    if (final) throw new MaskingError('binary COPY ended inside a tuple');
    return at;
  }

  private headerEnd(data: Buffer): number {
    if (data.length < HEADER_FIXED) return -1;
    if (!SIGNATURE.equals(data.subarray(0, SIGNATURE.length))) throw new MaskingError('bad binary COPY signature');
    if ((readInt32(data, SIGNATURE.length) & FLAG_OIDS) !== 0) throw new MaskingError('binary COPY WITH OIDS');
    const extension = readInt32(data, SIGNATURE.length + 4);
    if (extension < 0) throw new MaskingError('bad binary COPY header extension');
    return HEADER_FIXED + extension <= data.length ? HEADER_FIXED + extension : -1;
  }

  private maskTuple(data: Buffer, start: number, fields: number): void {
    let at = start;
    for (let f = 0; f < fields; f++) {
      const length = readInt32(data, at);
      at += 4;
      if (length === -1) continue;
      const plan = planAt(this.columns, f);
      if (plan !== null) {
        const masked = plan.mask(data, at, at + length);
        if (masked !== undefined) this.splice.replaceValue(at - 4, at + length, masked);
      }
      at += length;
    }
  }
}

/** Where the tuple whose fields start at `start` ends, -1 when it is cut; validates lengths. */
function tupleEnd(data: Buffer, start: number, fields: number): number {
  let at = start;
  for (let f = 0; f < fields; f++) {
    if (at + 4 > data.length) return -1;
    const length = readInt32(data, at);
    at += 4;
    if (length === -1) continue;
    if (length < 0) throw new MaskingError('bad binary COPY field length');
    if (at + length > data.length) return -1;
    at += length;
  }
  return at;
}
