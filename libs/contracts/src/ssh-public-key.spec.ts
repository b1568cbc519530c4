import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { parseSshPublicKey, SshPublicKeyError } from './ssh-public-key.js';

// Keys made by OpenSSH's own ssh-keygen, checked against the size and fingerprint it prints.
const dir = mkdtempSync(join(tmpdir(), 'postern-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keygen(name: string, ...args: string[]): { line: string; bits: number; fingerprint: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-N', '', '-C', `comment ${name}`, '-f', file, ...args]);
  const [bits, fingerprint] = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ');
  return { line: readFileSync(`${file}.pub`, 'utf8'), bits: Number(bits), fingerprint: fingerprint! };
}

describe('parseSshPublicKey', () => {
  test.each([
    ['ed25519', ['-t', 'ed25519'], 'ssh-ed25519'],
    ['ecdsa256', ['-t', 'ecdsa', '-b', '256'], 'ecdsa-sha2-nistp256'],
    ['ecdsa521', ['-t', 'ecdsa', '-b', '521'], 'ecdsa-sha2-nistp521'],
    ['rsa3072', ['-t', 'rsa', '-b', '3072'], 'ssh-rsa'],
  ])('accepts %s with the size and fingerprint ssh-keygen reports', (name, args, algorithm) => {
    const made = keygen(name, ...args);
    const key = parseSshPublicKey(made.line);
    expect(key.algorithm).toBe(algorithm);
    expect(key.bits).toBe(made.bits);
    expect(key.fingerprint).toBe(made.fingerprint);
    expect(key.comment).toBe(`comment ${name}`);
  });

  test('refuses RSA under 3072 bits, DSA, private keys, garbage and mismatched types', () => {
    const rsa = keygen('rsa2048', '-t', 'rsa', '-b', '2048');
    expect(() => parseSshPublicKey(rsa.line)).toThrow(/at least 3072 bits \(this one has 2048\)/);
    expect(() => parseSshPublicKey('ssh-dss AAAAB3NzaC1kc3M=')).toThrow(/not accepted/);
    expect(() => parseSshPublicKey('-----BEGIN OPENSSH PRIVATE KEY-----')).toThrow(/private key/);
    expect(() => parseSshPublicKey('ssh-ed25519 !!!')).toThrow(/base64/);
    expect(() => parseSshPublicKey('ssh-ed25519 AAAA')).toThrow(SshPublicKeyError);
    const ed = keygen('ed-mismatch', '-t', 'ed25519').line.split(' ')[1];
    expect(() => parseSshPublicKey(`ssh-rsa ${ed}`)).toThrow(/not "ssh-rsa"/);
    expect(() => parseSshPublicKey(`ssh-ed25519 ${'A'.repeat(5000)}`)).toThrow(/longer than/);
  });

  test('garbage after a valid prefix never crashes, it is refused', () => {
    const blob = Buffer.from(keygen('ed-garbage', '-t', 'ed25519').line.split(' ')[1]!, 'base64');
    for (let cut = 0; cut < blob.length; cut += 1) {
      const text = `ssh-ed25519 ${blob.subarray(0, cut).toString('base64')}`;
      expect(() => parseSshPublicKey(text)).toThrow(SshPublicKeyError);
    }
  });
});
