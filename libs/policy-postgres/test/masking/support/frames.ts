// Byte builders and strict readers for the messages masking touches, written independently of
// the implementation so the tests check it against the protocol, not against itself.
import { parseMaskingSpec, type MaskingRuleInput } from '@postern/policy';
import { compileMaskingPolicy, type ResultColumn, type SessionMasker } from '../../../src/index.js';

export type Value = Buffer | string | null;

const bytes = (v: Buffer | string) => (typeof v === 'string' ? Buffer.from(v) : v);

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

/** Length-prefixed values: int32 length (-1 for NULL) then the bytes. */
function lengthPrefixed(values: readonly Value[]): Buffer {
  return Buffer.concat(values.map((v) => (v === null ? int32(-1) : Buffer.concat([int32(bytes(v).length), bytes(v)]))));
}

export function dataRow(values: readonly Value[]): Buffer {
  const body = Buffer.concat([int16(values.length), lengthPrefixed(values)]);
  return Buffer.concat([Buffer.from('D'), int32(body.length + 4), body]);
}

/** Reads a DataRow, failing loudly on anything malformed. */
export function readDataRow(frame: Buffer): (Buffer | null)[] {
  if (frame[0] !== 0x44) throw new Error('not a DataRow');
  if (frame.readInt32BE(1) !== frame.length - 1) throw new Error('bad DataRow length');
  const count = frame.readInt16BE(5);
  const out: (Buffer | null)[] = [];
  let at = 7;
  for (let i = 0; i < count; i++) {
    const length = frame.readInt32BE(at);
    at += 4;
    if (length === -1) {
      out.push(null);
      continue;
    }
    if (length < 0 || at + length > frame.length) throw new Error('bad column length');
    out.push(frame.subarray(at, at + length));
    at += length;
  }
  if (at !== frame.length) throw new Error('trailing bytes');
  return out;
}

export function rowText(frame: Buffer): (string | null)[] {
  return readDataRow(frame).map((v) => (v === null ? null : v.toString('utf8')));
}

export function copyData(payload: Buffer | string): Buffer {
  const body = bytes(payload);
  return Buffer.concat([Buffer.from('d'), int32(body.length + 4), body]);
}

export function readCopyData(frame: Buffer): Buffer {
  if (frame[0] !== 0x64 || frame.readInt32BE(1) !== frame.length - 1) throw new Error('bad CopyData');
  return frame.subarray(5);
}

/** A one-dimensional binary array (array_send's layout), lower bound 1. */
export function binaryArray(elementOid: number, elements: readonly Value[]): Buffer {
  const header = Buffer.concat([
    int32(elements.length === 0 ? 0 : 1),
    int32(elements.some((e) => e === null) ? 1 : 0),
    int32(elementOid),
  ]);
  const dims = elements.length === 0 ? Buffer.alloc(0) : Buffer.concat([int32(elements.length), int32(1)]);
  return Buffer.concat([header, dims, lengthPrefixed(elements)]);
}

export function readBinaryArray(value: Buffer): { hasNull: boolean; elementOid: number; elements: (Buffer | null)[] } {
  const ndim = value.readInt32BE(0);
  const hasNull = value.readInt32BE(4) === 1;
  const elementOid = value.readInt32BE(8);
  let count = ndim === 0 ? 0 : 1;
  for (let d = 0; d < ndim; d++) count *= value.readInt32BE(12 + 8 * d);
  let at = 12 + 8 * ndim;
  const elements: (Buffer | null)[] = [];
  for (let k = 0; k < count; k++) {
    const length = value.readInt32BE(at);
    at += 4;
    elements.push(length === -1 ? null : value.subarray(at, at + length));
    at += Math.max(0, length);
  }
  if (at !== value.length) throw new Error('trailing bytes in array');
  return { hasNull, elementOid, elements };
}

export function jsonbBinary(json: string): Buffer {
  return Buffer.concat([Buffer.from([1]), Buffer.from(json)]);
}

export const HASH_KEY = Buffer.from('masking-test-key-0123456789abcdef');

export function rule(spec: unknown, extra: Partial<Omit<MaskingRuleInput, 'spec'>> = {}): MaskingRuleInput {
  return {
    id: 'rule-1',
    name: 'rule one',
    connectionIds: [],
    exemptGroups: [],
    ...extra,
    spec: parseMaskingSpec(spec),
  };
}

/** A session masker for one or more rule specs, on connection `conn`, with no groups. */
export function sessionFor(...specs: unknown[]): SessionMasker {
  const rules = specs.map((spec, i) => rule(spec, { id: `rule-${i + 1}`, name: `rule ${i + 1}` }));
  const session = compileMaskingPolicy(rules, { hashKey: HASH_KEY }).forSession('conn', []);
  if (session === null) throw new Error('no session masker');
  return session;
}

export function column(name: string, typeOid: number, format: 0 | 1 = 0, table: string | null = null): ResultColumn {
  return { name, typeOid, format, table: table === null ? null : { schema: 'public', name: table } };
}
