import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateHostKey, HOST_KEY_FILE, loadOrCreateHostKey, parseHostKey } from './host-key.js';

describe('ssh engine host key', () => {
  test('generated once, kept private, the same after a restart, fingerprinted as ssh-keygen does', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'postern-hostkey-')), 'state');
    try {
      const first = loadOrCreateHostKey(dir);
      const again = loadOrCreateHostKey(dir);
      expect(again.fingerprint).toBe(first.fingerprint);
      expect(statSync(join(dir, HOST_KEY_FILE)).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      writeFileSync(join(dir, 'key.pub'), `${first.publicLine}\n`);
      const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'key.pub')], {
        encoding: 'utf8',
      });
      expect(printed.split(' ')[1]).toBe(first.fingerprint);
      expect(readFileSync(join(dir, HOST_KEY_FILE), 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });

  test('an operator key in the state directory is used; garbage stops the engine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-hostkey-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', join(dir, HOST_KEY_FILE)]);
      const key = loadOrCreateHostKey(dir);
      expect(key.publicLine.startsWith('ecdsa-sha2-nistp256 ')).toBe(true);
      writeFileSync(join(dir, HOST_KEY_FILE), 'not a key');
      expect(() => loadOrCreateHostKey(dir)).toThrow(/ssh-host-key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every generated key reads back (ssh2 itself makes a few that do not)', () => {
    for (let i = 0; i < 2000; i++) expect(() => parseHostKey(generateHostKey())).not.toThrow();
  });
});
