import { type CopyColumns, CopyStreamMasker, planAt } from './copy-stream.js';
import { MaskingError } from '@postern/policy';
import { readInt16, readInt32 } from './splice.js';

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
