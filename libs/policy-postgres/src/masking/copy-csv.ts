import { bytesEqual, type CopyColumns, CopyStreamMasker, NEWLINE, planAt } from './copy-stream.js';
import { MaskingError } from '@postern/policy';

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
