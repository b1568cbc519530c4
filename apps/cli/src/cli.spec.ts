import { describe, expect, test } from '@jest/globals';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './cli.js';

function capture() {
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, output: { out: (t: string) => void lines.out.push(t), err: (t: string) => void lines.err.push(t) } };
}

describe('postern', () => {
  test('prints usage for --help, and fails with usage when no command is given', async () => {
    const help = capture();
    expect(await run(['--help'], {}, help.output)).toBe(0);
    expect(help.lines.out.join('\n')).toMatch(/Usage: postern \[options\] \[command\]/);
    expect(help.lines.out.join('\n')).toMatch(/Exit codes: 0 done/);
    expect(await run([], {}, capture().output)).toBe(2);
  });

  test('refuses unknown commands and options with a usage error (exit 2)', async () => {
    await expect(run(['frobnicate'], {}, capture().output)).rejects.toMatchObject({ exitCode: 2 });
    await expect(run(['login', '--no-such-flag'], {}, capture().output)).rejects.toMatchObject({ exitCode: 2 });
  });

  test('login needs an issuer, and refuses plain http off loopback', async () => {
    const env = { POSTERN_CONFIG_DIR: '/nonexistent/postern-test' };
    await expect(run(['login'], env, capture().output)).rejects.toThrow(/--issuer is required/);
    await expect(run(['login', '--issuer', 'http://idp.example.com'], env, capture().output)).rejects.toThrow(
      /must use https:\/\//,
    );
  });

  test('whoami refuses to send the token over plain http off loopback', async () => {
    const { whoami } = await import('./whoami.js');
    await expect(whoami('http://postern.example.com', 'token', capture().output)).rejects.toThrow(
      /refusing to send your token over plain http/,
    );
  });

  test('completion scripts are made from the command tree', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const { lines, output } = capture();
      expect(await run(['completion', shell], {}, output)).toBe(0);
      const script = lines.out.join('\n');
      for (const command of ['connect', 'request-access', 'approve', 'replay']) expect(script).toContain(command);
      expect(script).toContain(shell === 'fish' ? '-l reason' : '--reason');
    }
    await expect(run(['completion', 'tcsh'], {}, capture().output)).rejects.toMatchObject({ exitCode: 2 });
  });

  test('config set/get/use keep profiles in a 0600 file and check what they store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'postern-cli-config-'));
    const env = { POSTERN_CONFIG_DIR: dir };
    expect(await run(['config', 'set', 'api', 'https://postern.example.com'], env, capture().output)).toBe(0);
    expect(
      await run(['--profile', 'local', 'config', 'set', 'gateway.postgres', '127.0.0.1:6432'], env, capture().output),
    ).toBe(0);
    const got = capture();
    expect(await run(['config', 'get', 'api'], env, got.output)).toBe(0);
    expect(got.lines.out).toEqual(['https://postern.example.com']);
    await expect(run(['config', 'set', 'output', 'yaml'], env, capture().output)).rejects.toThrow(/table or json/);
    await expect(run(['config', 'set', 'gateway.postgres', 'nope'], env, capture().output)).rejects.toThrow(
      /host:port/,
    );
    expect(await run(['config', 'use', 'local'], env, capture().output)).toBe(0);
    const listed = capture();
    expect(await run(['-o', 'json', 'config', 'list'], env, listed.output)).toBe(0);
    expect(JSON.parse(listed.lines.out.join('\n'))).toEqual({
      current: 'local',
      profiles: {
        default: { api: 'https://postern.example.com', gateway: {} },
        local: { gateway: { postgres: '127.0.0.1:6432' } },
      },
    });
    expect((await stat(join(dir, 'config.json'))).mode & 0o777).toBe(0o600);
    await rm(dir, { recursive: true, force: true });
  });

  test('commands that need a sign-in say how to get one (exit 3)', async () => {
    const env = { POSTERN_CONFIG_DIR: '/nonexistent/postern-test' };
    await expect(run(['connections'], env, capture().output)).rejects.toThrow(/not signed in .*postern login/);
  });
});
