import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Endpoint } from './gateway.js';
import { askpassHelper, knownHostsFile, pinHostKey, sshConfigBlock, sshOptions } from './ssh-client.js';

const key = (line: string) => ({
  hostKeyAlias: 'postern-relay',
  knownHostsLine: `postern-relay ${line}`,
  fingerprint: 'SHA256:x',
});
const endpoint = (line: string): Endpoint => ({
  host: 'relay.example',
  port: 2222,
  tls: 'disable',
  caFile: null,
  sshHostKey: key(line),
});

function askpass(file: string, prompt: string, credential: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) =>
    execFile(file, [prompt], { env: { POSTERN_SSH_CREDENTIAL: credential } }, (error, stdout) =>
      resolve({ code: error ? Number(error.code) : 0, stdout }),
    ),
  );
}

describe('ssh client helpers', () => {
  test("the relay's key is pinned under its alias, replacing an older key and keeping other lines", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'postern-cli-ssh-'));
    const env = { POSTERN_CONFIG_DIR: dir };
    try {
      await writeFile(
        knownHostsFile(env, 'default'),
        'other.example ssh-ed25519 AAAAother\npostern-relay ssh-ed25519 AAAAold\n',
      );
      const file = await pinHostKey(env, 'default', endpoint('ssh-ed25519 AAAAnew'));
      expect(await readFile(file, 'utf8')).toBe(
        'other.example ssh-ed25519 AAAAother\npostern-relay ssh-ed25519 AAAAnew\n',
      );
      expect(knownHostsFile(env, 'staging')).toBe(join(dir, 'known_hosts-staging'));
      await expect(pinHostKey(env, 'default', { ...endpoint('x'), sshHostKey: null })).rejects.toThrow(
        /publishes no SSH host key/,
      );
      const options = sshOptions(endpoint('ssh-ed25519 AAAAnew'), file);
      expect(options).toEqual(
        expect.arrayContaining([
          'HostKeyAlias=postern-relay',
          `UserKnownHostsFile=${file}`,
          'StrictHostKeyChecking=yes',
        ]),
      );
      expect(sshConfigBlock('web01', 'alice@example.com', endpoint('k'), file)).toContain(
        '  User alice@example.com+web01\n  HostKeyAlias postern-relay\n',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the askpass helper answers the credential prompts from its environment, and nothing else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'postern-cli-askpass-'));
    try {
      const file = await askpassHelper({ POSTERN_CONFIG_DIR: dir });
      expect((await stat(file)).mode & 0o777).toBe(0o700);
      expect(await askpass(file, 'Postern credential: ', "s3cr'et $x")).toEqual({ code: 0, stdout: "s3cr'et $x\n" });
      expect(await askpass(file, "alice+web01@relay's password: ", 'pw')).toEqual({ code: 0, stdout: 'pw\n' });
      expect((await askpass(file, 'Are you sure you want to continue connecting (yes/no)?', 'pw')).stdout).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
