import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCredentials, saveCredentials, type StoredCredentials } from './credentials.js';
import { credentialsPathFor } from './profiles.js';
import { currentCredentials } from './session.js';

const credentials: StoredCredentials = {
  version: 1,
  issuer: 'https://idp.example.com',
  clientId: 'postern-cli',
  audience: 'urn:postern:gateway',
  api: null,
  tokenType: 'bearer',
  accessToken: 'header.payload.signature',
  expiresAt: '2030-01-01T00:00:00.000Z',
  refreshToken: null,
  scope: 'openid groups',
  subject: 'bob',
  obtainedAt: '2029-12-31T23:55:00.000Z',
};
const quiet = { out: () => undefined, err: () => undefined };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'postern-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('credentials', () => {
  test('live in $POSTERN_CONFIG_DIR, else the XDG config directory, else ~/.config/postern', () => {
    expect(credentialsPathFor({ POSTERN_CONFIG_DIR: '/etc/p' }, 'default')).toBe('/etc/p/credentials.json');
    expect(credentialsPathFor({ XDG_CONFIG_HOME: '/x' }, 'default')).toBe('/x/postern/credentials.json');
    expect(credentialsPathFor({}, 'default')).toMatch(/\/\.config\/postern\/credentials\.json$/);
    expect(credentialsPathFor({ POSTERN_CONFIG_DIR: '/etc/p' }, 'prod')).toBe('/etc/p/credentials-prod.json');
  });

  test('are written readable by their owner only, and read back', async () => {
    const path = join(dir, 'nested', 'credentials.json');
    await saveCredentials(path, credentials);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nested'))).mode & 0o777).toBe(0o700);
    expect(await loadCredentials(path)).toEqual({ credentials });
  });

  test('warn when the file is readable by others', async () => {
    const path = join(dir, 'credentials.json');
    await saveCredentials(path, credentials);
    await chmod(path, 0o644);
    expect((await loadCredentials(path)).warning).toMatch(/readable by other users .*chmod 600/);
  });

  test('missing or broken files say how to sign in', async () => {
    await expect(loadCredentials(join(dir, 'none.json'))).rejects.toThrow(/not signed in .*postern login --issuer/);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"version":2}', { mode: 0o600 });
    await expect(loadCredentials(broken)).rejects.toThrow(/not a Postern credentials file: run `postern login` again/);
  });

  test('an expired token without a refresh token means signing in again', async () => {
    const path = join(dir, 'credentials.json');
    await saveCredentials(path, credentials);
    const after = Date.parse('2030-01-01T00:00:01Z');
    await expect(currentCredentials(path, quiet, after)).rejects.toThrow(
      /expired at 2030-01-01T00:00:00.000Z: run `postern login` again/,
    );
    // Within 30 s of expiry the token counts as expired already.
    await expect(currentCredentials(path, quiet, after - 20_000)).rejects.toThrow(/expired/);
    expect((await currentCredentials(path, quiet, after - 60_000)).accessToken).toBe(credentials.accessToken);
  });
});
