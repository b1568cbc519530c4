// The masking evasion corpus (test/corpora/masking/evasion.jsonl): values written the ways that
// slip past naive detection — split, escaped, upper-cased, inside JSON, arrays, URLs — and benign
// values that must stay untouched. Each line says what must happen:
//   masked  the value changes and its `secret` (default: the whole value) is gone;
//   null    the value becomes SQL NULL (a type with no masked form);
//   clean   the row comes back as the very same Buffer;
//   missed  a known evasion this masking does not catch, recorded honestly (the row is unchanged:
//           if one starts being caught, move it to `masked`).
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  binaryArray,
  column,
  copyData,
  dataRow,
  readBinaryArray,
  readCopyData,
  readDataRow,
  sessionFor,
} from './support/frames.js';

interface CorpusLine {
  value: string | (string | null)[];
  type: string;
  format: 'text' | 'binary';
  expect: 'masked' | 'null' | 'clean' | 'missed';
  class: string;
  secret?: string;
  note?: string;
}

const corpusFile = join(dirname(fileURLToPath(import.meta.url)), '../corpora/masking/evasion.jsonl');
const corpus: CorpusLine[] = readFileSync(corpusFile, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as CorpusLine);

const OIDS: Record<string, number> = {
  text: 25,
  varchar: 1043,
  xml: 142,
  json: 114,
  jsonb: 3802,
  int4: 23,
  int8: 20,
  numeric: 1700,
  'text[]': 1009,
  'int8[]': 1016,
  citext: 16500,
};

const session = sessionFor({
  detectors: ['email', 'payment_card', 'iban', 'phone', 'national_id', 'secret'],
  style: 'redact',
});

/** The value as PostgreSQL would send it for this type and format. */
function wireValue(line: CorpusLine): Buffer {
  if (line.format === 'text') return Buffer.from(line.value as string);
  switch (line.type) {
    case 'jsonb':
      return Buffer.concat([Buffer.from([1]), Buffer.from(line.value as string)]);
    case 'text[]':
      return binaryArray(25, line.value as (string | null)[]);
    case 'int8': {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(line.value as string));
      return b;
    }
    default:
      return Buffer.from(line.value as string);
  }
}

/** Everything readable in a masked value, for the "secret is gone" check. */
function readable(line: CorpusLine, value: Buffer): string {
  if (line.format === 'binary' && line.type === 'text[]') {
    return readBinaryArray(value)
      .elements.map((e) => e?.toString() ?? '')
      .join('\n');
  }
  const text = (line.format === 'binary' && line.type === 'jsonb' ? value.subarray(1) : value).toString();
  if (line.type === 'json' || line.type === 'jsonb') return `${text}\n${JSON.stringify(JSON.parse(text))}`;
  return text;
}

function secretsOf(line: CorpusLine): string[] {
  const secret = line.secret ?? (line.value as string);
  // A secret written with JSON escapes must not survive decoded either.
  const decoded = secret.includes('\\u') ? (JSON.parse(`"${secret}"`) as string) : secret;
  return [...new Set([secret, decoded])];
}

describe('masking evasion corpus', () => {
  test('has at least 100 lines of every expectation', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(100);
    expect(new Set(corpus.map((l) => l.expect))).toEqual(new Set(['masked', 'null', 'clean', 'missed']));
  });

  test.each(
    corpus.map((line, i) => [`${i + 1} ${line.expect} ${line.class} (${line.type}, ${line.format})`, line] as const),
  )('%s', (_, line) => {
    const masker = session.planRows([column('v', OIDS[line.type]!, line.format === 'binary' ? 1 : 0)]);
    const frame = dataRow([wireValue(line)]);
    const out = masker === null ? frame : masker.maskDataRow(frame);
    if (line.expect === 'clean' || line.expect === 'missed') {
      expect(out).toBe(frame);
      return;
    }
    const [value] = readDataRow(out);
    if (line.expect === 'null') {
      expect(value).toBeNull();
      return;
    }
    expect(value).not.toBeNull();
    const shown = readable(line, value!);
    for (const secret of secretsOf(line)) expect(shown).not.toContain(secret);
  });

  // The same values as COPY text and CSV fields, escaped as PostgreSQL escapes them.
  const plainText = corpus.filter((l) => l.format === 'text' && (l.type === 'text' || l.type === 'varchar'));

  test.each(plainText.map((line, i) => [`${i + 1} ${line.expect} ${line.class}`, line] as const))(
    'COPY: %s',
    (_, line) => {
      const value = line.value as string;
      const textField = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
      const csvField = `"${value.replace(/"/g, '""')}"`;
      for (const [format, row] of [
        ['text', `1\t${textField}\n`],
        ['csv', `1,${csvField}\n`],
      ] as const) {
        const { masker } = session.planCopy([column('id', 23), column('v', 25)], format, {});
        const frame = copyData(row);
        const out = masker!.maskCopyData(frame);
        if (line.expect === 'masked') {
          for (const secret of secretsOf(line)) expect(readCopyData(out).toString()).not.toContain(secret);
        } else {
          expect(out).toBe(frame);
        }
      }
    },
  );
});
