import { describe, expect, test } from '@jest/globals';
import { run } from './cli.js';

function capture() {
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, output: { out: (t: string) => void lines.out.push(t), err: (t: string) => void lines.err.push(t) } };
}

describe('postern', () => {
  test('prints usage for --help, and fails with usage when no command is given', async () => {
    const help = capture();
    expect(await run(['--help'], {}, help.output)).toBe(0);
    expect(help.lines.out.join('\n')).toMatch(/postern <command>/);
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
});
