import { describe, expect, test } from '@jest/globals';
import { CONNECTION_CREDENTIAL_VECTOR as vector } from '@postern/contracts';
import { strictMock } from '@postern/testing';
import type { DataPlaneTokenVerifier } from '../identity/token-verifier.js';
import type { AccessRepository, CredentialForLogin } from './access.repository.js';
import { DataPlaneLogins } from './data-plane-logins.js';

/**
 * The control plane's side of the connection credential contract: the relay's login check reads
 * the pinned token as the agent's authenticator does (its spec checks the same vector).
 */
const CONNECTION = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

function logins(): { logins: DataPlaneLogins; asked: string[] } {
  const asked: string[] = [];
  const found: CredentialForLogin = {
    id: vector.credentialId,
    secretHash: Buffer.from(vector.secretHashHex, 'hex'),
    connectionId: CONNECTION,
    expiresAt: new Date(Date.now() + 60_000),
    revokedAt: null,
    user: { id: 'u1', subject: 'alice', email: 'alice@example.com', disabledAt: null, groups: ['engineers'] },
  };
  const repository = strictMock<AccessRepository>(
    {
      credentialForLogin: async (id) => {
        asked.push(id);
        return id === vector.credentialId ? found : null;
      },
      rulesFor: async () => [
        {
          id: 'r1',
          connectionId: CONNECTION,
          groups: ['engineers'],
          operations: ['read'],
          requiresApproval: false,
          approverGroups: [],
          maxSessionSeconds: null,
          createdAt: new Date(0),
        },
      ],
    },
    'AccessRepository',
  );
  const tokens = strictMock<DataPlaneTokenVerifier>({ enabled: false }, 'DataPlaneTokenVerifier');
  return { logins: new DataPlaneLogins(repository, tokens), asked };
}

describe('DataPlaneLogins and the connection credential contract (@postern/contracts)', () => {
  test('admits the pinned token, looking its credential up by the pinned id', async () => {
    const { logins: check, asked } = logins();
    expect(await check.check(CONNECTION, 'alice@example.com', vector.token)).toEqual({ ok: true, principalId: 'u1' });
    expect(asked).toEqual([vector.credentialId]);
  });

  test('refuses the near misses the agent refuses, without a lookup', async () => {
    const { logins: check, asked } = logins();
    for (const token of vector.malformed) {
      expect(await check.check(CONNECTION, 'alice@example.com', token)).toMatchObject({
        ok: false,
        reason: 'invalid_credential',
      });
    }
    expect(asked).toEqual([]);
  });

  test('refuses the pinned id with another secret', async () => {
    const { logins: check } = logins();
    const wrong = vector.token.replace(/A$/, 'B');
    expect(await check.check(CONNECTION, 'alice@example.com', wrong)).toMatchObject({ reason: 'invalid_credential' });
  });
});
