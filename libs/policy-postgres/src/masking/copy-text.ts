import { bytesEqual, type CopyColumns, CopyStreamMasker, NEWLINE, planAt } from './copy-stream.js';
import { MaskingError } from '@postern/policy';
import type { Replacement } from './splice.js';

const BACKSLASH = 0x5c;

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
