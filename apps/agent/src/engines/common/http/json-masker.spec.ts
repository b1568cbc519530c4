import { describe, expect, test } from '@jest/globals';
import { JsonMaskError, JsonMaskingStream, type JsonPath, type JsonValueMasker } from './json-masker.js';

/** Masks values under a key named `secret` or `email` whole, and digits runs of 16 inside other strings. */
const masker: JsonValueMasker = {
  scanStrings: true,
  matchPath: (path: JsonPath) => {
    const last = path.at(-1);
    return last === 'secret' || last === 'email' ? 'whole' : null;
  },
  maskScalar: (raw, text, match) => {
    if (match !== null) return '"****"';
    if (text !== null && /\d{16}/.test(text)) return JSON.stringify(text.replace(/\d{16}/g, '####'));
    return undefined;
  },
};

async function run(chunks: Buffer[], m: JsonValueMasker = masker): Promise<string> {
  const stream = new JsonMaskingStream(m, 1024);
  const out: Buffer[] = [];
  stream.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  await done;
  return Buffer.concat(out).toString('utf8');
}

const DOC =
  '{"users":[{"id":1,"email":"a@b.c","note":"card 4111111111111111 ok","secret":{"k":[1,"x",true]}},' +
  '{"id":2.5e3,"email":null,"tags":[],"o":{}}],"secret":42,"esc":"q\\"\\\\ \\u00e9"}';
const EXPECTED =
  '{"users":[{"id":1,"email":"****","note":"card #### ok","secret":{"k":["****","****","****"]}},' +
  '{"id":2.5e3,"email":null,"tags":[],"o":{}}],"secret":"****","esc":"q\\"\\\\ \\u00e9"}';

describe('JsonMaskingStream', () => {
  test('maskWhole gives the bytes the stream gives, and refuses a cut document', () => {
    expect(new JsonMaskingStream(masker, 1024).maskWhole(Buffer.from(DOC)).toString('utf8')).toBe(EXPECTED);
    expect(() => new JsonMaskingStream(masker, 1024).maskWhole(Buffer.from(DOC.slice(0, 40)))).toThrow(JsonMaskError);
  });

  test('keys that look alike to the key cache (same length, first and last byte) are told apart', async () => {
    // "email" and "eXail"/"ezail" share a cache slot: only the real "email" is masked, in any order.
    const doc = '[{"email":"a","eXail":"b","ezail":"c"},{"eXail":"d","email":"e"},{"ezail":"f","email":"g"}]';
    const masked =
      '[{"email":"****","eXail":"b","ezail":"c"},{"eXail":"d","email":"****"},{"ezail":"f","email":"****"}]';
    expect(await run([Buffer.from(doc)])).toBe(masked);
    expect(new JsonMaskingStream(masker, 1024).maskWhole(Buffer.from(doc)).toString('utf8')).toBe(masked);
  });

  test('masks by key path (containers whole) and by detector, leaving every other byte as it came', async () => {
    expect(await run([Buffer.from(DOC)])).toBe(EXPECTED);
  });

  test('gives the same bytes whatever the chunk boundaries (every split in two, and byte by byte)', async () => {
    const bytes = Buffer.from(DOC);
    for (let at = 0; at <= bytes.length; at++) {
      expect(await run([bytes.subarray(0, at), bytes.subarray(at)])).toBe(EXPECTED);
    }
    expect(await run([...bytes].map((b) => Buffer.from([b])))).toBe(EXPECTED);
  });

  test('detectors only (keys not decoded) and a prefilter that skips strings, at every boundary', async () => {
    const detectorsOnly: JsonValueMasker = {
      ...masker,
      pathsMatter: false,
      matchPath: () => {
        throw new Error('paths do not matter');
      },
      mayMatch: (bytes, start, end) => /\d/.test(bytes.toString('latin1', start, end)),
    };
    const doc = '{"email":"a@b.c","n":"4111111111111111","l":["x",{"k":"y1234567890123456z"}],"e":{}}';
    const expected = '{"email":"a@b.c","n":"####","l":["x",{"k":"y####z"}],"e":{}}';
    const bytes = Buffer.from(doc);
    for (let at = 0; at <= bytes.length; at++) {
      expect(await run([bytes.subarray(0, at), bytes.subarray(at)], detectorsOnly)).toBe(expected);
    }
  });

  test('passes several top-level values (JSON lines) and whitespace', async () => {
    expect(await run([Buffer.from('{"email":"x"}\n{"email":"y"}\n [1, 2]\n')])).toBe(
      '{"email":"****"}\n{"email":"****"}\n [1, 2]\n',
    );
  });

  test('fails on invalid JSON rather than passing what it cannot read', async () => {
    await expect(run([Buffer.from('{"a" 1}')])).rejects.toBeInstanceOf(JsonMaskError);
    await expect(run([Buffer.from('{"a":[1,]}')])).rejects.toBeInstanceOf(JsonMaskError);
    await expect(run([Buffer.from('{"a":1')])).rejects.toBeInstanceOf(JsonMaskError);
  });

  test('a value over the limit that must be read fails the stream; one nobody reads passes', async () => {
    const big = 'x'.repeat(5000);
    await expect(run([Buffer.from(`{"email":"${big}"}`)])).rejects.toBeInstanceOf(JsonMaskError);
    const quiet: JsonValueMasker = { ...masker, scanStrings: false };
    expect(await run([Buffer.from(`{"note":"${big}"}`)], quiet)).toBe(`{"note":"${big}"}`);
  });
});
