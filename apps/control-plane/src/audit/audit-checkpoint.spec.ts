import { describe, expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { checkpointSigningKey } from './audit-checkpoint-key.js';
import {
  checkpointVerifies,
  compareWithCheckpoints,
  keyIdOf,
  parseCheckpointLine,
  publishedCheckpoint,
  signCheckpoint,
  type AuditCheckpoint,
} from './audit-checkpoint.js';

const key = checkpointSigningKey({
  auditCheckpoints: { keyPem: null, intervalSeconds: 300 },
  secrets: { encryptionKey: Buffer.alloc(32, 1) },
  admin: { bootstrapToken: 'x'.repeat(32) },
});
const checkpoint: AuditCheckpoint = {
  seq: 42n,
  hash: Buffer.alloc(32, 0xab),
  at: new Date('2026-01-02T03:04:05.678Z'),
};
const line = (c = checkpoint) =>
  JSON.stringify({ level: 30, msg: 'audit checkpoint', ...publishedCheckpoint(signCheckpoint(c, key)) });

describe('signed checkpoints', () => {
  test('the derived key is stable per key material and differs with it', () => {
    const again = checkpointSigningKey({
      auditCheckpoints: { keyPem: null, intervalSeconds: 300 },
      secrets: { encryptionKey: Buffer.alloc(32, 1) },
      admin: { bootstrapToken: 'y'.repeat(32) },
    });
    const other = checkpointSigningKey({
      auditCheckpoints: { keyPem: null, intervalSeconds: 300 },
      secrets: { encryptionKey: null },
      admin: { bootstrapToken: 'x'.repeat(32) },
    });
    expect(keyIdOf(again)).toBe(keyIdOf(key));
    expect(keyIdOf(other)).not.toBe(keyIdOf(key));
  });

  test('a logged line reads back and verifies; any changed field or another key does not', () => {
    const parsed = parseCheckpointLine(line());
    if (parsed === null || typeof parsed === 'string') throw new Error(String(parsed));
    expect(parsed.checkpoint).toEqual(checkpoint);
    expect(checkpointVerifies(parsed, [key])).toBe(true);
    const moved = { ...parsed, checkpoint: { ...parsed.checkpoint, seq: 43n } };
    expect(checkpointVerifies(moved, [key])).toBe(false);
    const stranger = generateKeyPairSync('ed25519').publicKey;
    expect(checkpointVerifies(parsed, [stranger])).toBe(false);
    expect(checkpointVerifies(parsed, [stranger, key])).toBe(true);
  });

  test('other log lines are skipped; malformed checkpoints are named', () => {
    expect(parseCheckpointLine('{"msg":"http listening"}')).toBeNull();
    expect(parseCheckpointLine('not json')).toBeNull();
    expect(parseCheckpointLine('{"checkpoint":{"seq":"x"}}')).toMatch(/seq/);
    const bad = JSON.parse(line()) as { signature: string };
    expect(parseCheckpointLine(JSON.stringify({ ...bad, signature: 'abc' }))).toMatch(/signature/);
  });

  test('compared with the chain: truncated past the head, rewritten at a different hash', async () => {
    const hashAt = async (seq: bigint) => (seq === 42n ? Buffer.alloc(32, 0xab) : Buffer.alloc(32, 0xcd));
    const later: AuditCheckpoint = { ...checkpoint, seq: 50n };
    expect(await compareWithCheckpoints([checkpoint], { fromSeq: 0n, head: 60n }, hashAt)).toEqual([]);
    expect(await compareWithCheckpoints([checkpoint, later], { fromSeq: 0n, head: 45n }, hashAt)).toEqual([
      { seq: 46n, problem: 'truncated', detail: expect.stringMatching(/ends at seq 45.*saw seq 50/) },
    ]);
    expect(await compareWithCheckpoints([later], { fromSeq: 0n, head: 60n }, hashAt)).toEqual([
      { seq: 50n, problem: 'rewritten', detail: expect.any(String) },
    ]);
    expect(await compareWithCheckpoints([later], { fromSeq: 51n, head: 60n }, hashAt)).toEqual([]);
  });
});
