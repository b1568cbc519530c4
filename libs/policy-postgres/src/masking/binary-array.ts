import { MaskingError } from '@postern/policy';
import { readInt32, type Replacement, Splice } from './splice.js';
import { classify, type ValueKind } from './type-oids.js';
import type { ValuePlan } from './value-plans.js';

/**
 * The binary array format (array_send): int32 ndim, int32 has-nulls flag, int32 element OID,
 * (int32 size, int32 lower bound) per dimension, then per element an int32 length (-1: NULL)
 * and its bytes in the element type's binary format. Elements are masked with the plan for
 * their type; lengths are rewritten and the NULL flag set when an element became NULL.
 */
export class BinaryArray implements ValuePlan {
  private readonly splice = new Splice();
  private readonly element: ValuePlan | null;

  constructor(
    private readonly elementOid: number,
    planFor: (kind: ValueKind) => ValuePlan | null,
  ) {
    this.element = planFor(classify(elementOid, 1));
  }

  mask(src: Buffer, start: number, end: number): Replacement {
    if (this.element === null) return undefined;
    if (end - start < 12) throw new MaskingError('binary array shorter than its header');
    const dimensions = readInt32(src, start);
    const flags = readInt32(src, start + 4);
    if (dimensions < 0 || dimensions > 6 || (flags !== 0 && flags !== 1))
      throw new MaskingError('bad binary array header');
    if (readInt32(src, start + 8) !== this.elementOid) {
      throw new MaskingError('binary array element type differs from the column type');
    }
    let at = start + 12 + 8 * dimensions;
    if (at > end) throw new MaskingError('binary array dimensions overrun the value');
    let elements = dimensions === 0 ? 0 : 1;
    for (let d = 0; d < dimensions; d++) elements *= Math.max(0, readInt32(src, start + 12 + 8 * d));
    if (elements * 4 > end - at) throw new MaskingError('binary array dimensions exceed its elements');
    const splice = this.splice;
    splice.reset();
    let madeNull = false;
    for (let k = 0; k < elements; k++) {
      if (at + 4 > end) throw new MaskingError('binary array elements overrun the value');
      const length = readInt32(src, at);
      at += 4;
      if (length === -1) continue;
      if (length < 0 || at + length > end) throw new MaskingError('bad binary array element length');
      const masked = this.element.mask(src, at, at + length);
      if (masked !== undefined) {
        splice.replaceValue(at - 4, at + length, masked);
        madeNull ||= masked === null;
      }
      at += length;
    }
    if (at !== end) throw new MaskingError('binary array has bytes after its last element');
    if (splice.size === 0) return undefined;
    const out = splice.build(src, start, end, 0);
    splice.reset();
    if (madeNull) out.writeInt32BE(1, 4);
    return out;
  }
}
