import { PassThrough } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { compileMaskingRules } from '@postern/policy';
import { KubernetesValueMasker } from '@postern/policy-kubernetes';
import { LogMasking } from './log-masking.js';

const rules = compileMaskingRules(
  [
    {
      id: 'pii',
      name: 'pii',
      connectionIds: [],
      exemptGroups: [],
      spec: { detectors: ['email'], style: 'redact' },
    },
  ],
  { hashKey: Buffer.alloc(32, 1) },
).forSession('c', [])!;

async function run(chunks: Buffer[], maxLine = 1024): Promise<{ out: string; error: Error | null; masked: number }> {
  const masking = new LogMasking(new KubernetesValueMasker(rules, Buffer.alloc(32, 1)), maxLine);
  const source = new PassThrough();
  const parts: Buffer[] = [];
  masking.on('data', (chunk: Buffer) => parts.push(chunk));
  const ended = new Promise<Error | null>((resolve) => {
    masking.once('end', () => resolve(null));
    masking.once('error', resolve);
  });
  source.pipe(masking);
  for (const chunk of chunks) source.write(chunk);
  source.end();
  const error = await ended;
  return { out: Buffer.concat(parts).toString('utf8'), error, masked: masking.masked };
}

describe('LogMasking', () => {
  const text = Buffer.from('mail from zoë@example.com ok\nsecond\nlast without newline bob@example.org');
  const expected = 'mail from **** ok\nsecond\nlast without newline ****';

  test('masks every line whatever the chunk boundaries (multi-byte characters included)', async () => {
    for (let split = 0; split <= text.length; split += 1) {
      const result = await run([text.subarray(0, split), text.subarray(split)]);
      expect(result.out).toBe(expected);
      expect(result.masked).toBe(2);
    }
  });

  test('one byte at a time', async () => {
    const bytes = [...text].map((byte) => Buffer.from([byte]));
    expect((await run(bytes)).out).toBe(expected);
  });

  test('a line longer than the limit ends the stream instead of passing unmasked', async () => {
    const result = await run([Buffer.from('short\n'), Buffer.from('x'.repeat(40)), Buffer.from('a@example.com\n')], 32);
    expect(result.error?.message).toContain('longer than 32 bytes');
    expect(result.out).toBe('short\n');
  });
});
