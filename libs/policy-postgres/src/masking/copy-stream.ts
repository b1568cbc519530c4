import { BackendCode, COPY_DATA_HEADER_SIZE, copyDataPayload, sealMessage } from '@postern/wire-postgres';
import type { CopyMasker } from './contract.js';
import { asMaskingError } from './row-masker.js';
import { Splice } from './splice.js';
import type { ValuePlan } from './value-plans.js';
export const NEWLINE = 0x0a;

/**
 * The plans of a COPY's columns. `expected` null: the columns are unknown (COPY (query) …), every
 * field gets `plans[0]` and any field count is accepted.
 */
export interface CopyColumns {
  plans: readonly (ValuePlan | null)[];
  expected: number | null;
}

export function planAt(columns: CopyColumns, index: number): ValuePlan | null {
  return (columns.expected === null ? columns.plans[0] : columns.plans[index]) ?? null;
}

/**
 * COPY … TO STDOUT output, one CopyData at a time. PostgreSQL sends one row per message, but
 * nothing in the protocol promises it: rows split across messages are carried over (copied
 * only then), and each returned frame holds the complete rows seen so far.
 */
export abstract class CopyStreamMasker implements CopyMasker {
  protected readonly splice = new Splice();
  private carry: Buffer | null = null;

  maskCopyData(frame: Buffer): Buffer {
    try {
      const body = copyDataPayload(frame);
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
    return sealMessage(this.splice.build(data, 0, consumed, COPY_DATA_HEADER_SIZE), BackendCode.CopyData);
  }

  /**
   * Masks the complete rows at the start of `data` into the splice; returns where the first
   * incomplete row starts. `final`: no more data will come, a trailing partial row is a row.
   */
  protected abstract consume(data: Buffer, final: boolean): number;
}

/** Whether data[start, end) holds exactly `other` (the NULL marker). */
export function bytesEqual(data: Buffer, start: number, end: number, other: Buffer): boolean {
  if (end - start !== other.length) return false;
  for (let i = 0; i < other.length; i++) if (data[start + i] !== other[i]) return false;
  return true;
}
