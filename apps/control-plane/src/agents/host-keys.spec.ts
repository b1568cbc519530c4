import { describe, expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { checkHostKeys, knownHostsLine, parseHostKey, sshFingerprint, storedHostKeys } from './host-keys.js';

/** An ssh-ed25519 public key line made from a fresh key (the SSH blob: two SSH strings). */
function ed25519Line(): { line: string; blob: Buffer } {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const string = (data: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, data.length]), data]);
  const blob = Buffer.concat([string(Buffer.from('ssh-ed25519')), string(raw)]);
  return { line: `ssh-ed25519 ${blob.toString('base64')}`, blob };
}

describe('agent host keys', () => {
  test('a key line is checked and its fingerprint computed here, not taken from the agent', () => {
    const { line, blob } = ed25519Line();
    const { keys, rejected } = checkHostKeys([{ protocol: 'ssh', publicKey: line, fingerprint: 'SHA256:lies' }]);
    expect(rejected).toEqual([]);
    expect(keys).toEqual([{ protocol: 'ssh', publicKey: line, fingerprint: sshFingerprint(blob) }]);
    expect(sshFingerprint(blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(knownHostsLine(['postern-agent-a1'], line)).toBe(`postern-agent-a1 ${line}`);
  });

  test('malformed keys are dropped with a reason, never published', () => {
    const { blob } = ed25519Line();
    const cases = [
      { protocol: 'SSH!', publicKey: `ssh-ed25519 ${blob.toString('base64')}` },
      { protocol: 'ssh', publicKey: `ssh-rsa ${blob.toString('base64')}` },
      { protocol: 'ssh', publicKey: `ssh-dss ${blob.toString('base64')}` },
      { protocol: 'ssh', publicKey: 'ssh-ed25519 not base64 at all' },
      { protocol: 'ssh', publicKey: `ssh-ed25519 ${'A'.repeat(5000)}` },
      { protocol: 'ssh', publicKey: `ssh-ed25519 ${blob.toString('base64')} comment\nInjected line` },
    ];
    const { keys, rejected } = checkHostKeys(cases.slice(0, 4));
    expect(keys).toEqual([]);
    expect(rejected).toHaveLength(4);
    for (const entry of cases) expect(typeof parseHostKey(entry.protocol, entry.publicKey)).toBe('string');
    const many = Array.from({ length: 6 }, () => ({ protocol: 'ssh', publicKey: ed25519Line().line }));
    expect(checkHostKeys(many)).toMatchObject({ keys: { length: 4 }, rejected: ['2 host keys over the limit of 4'] });
  });

  test('stored JSON is read back defensively', () => {
    const { line } = ed25519Line();
    expect(storedHostKeys([{ protocol: 'ssh', publicKey: line }, { protocol: 1 }, null, 'x'])).toHaveLength(1);
    expect(storedHostKeys({})).toEqual([]);
    expect(storedHostKeys(null)).toEqual([]);
  });
});
