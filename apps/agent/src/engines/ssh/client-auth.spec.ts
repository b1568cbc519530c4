import { describe, expect, jest, test } from '@jest/globals';
import ssh2 from 'ssh2';
import { strictMock } from '@postern/testing';
import type { EngineContext, ResolvedConnection } from '../engine.js';
import { UsedSessionIds } from './relayed-key.js';
import { ClientAuth } from './client-auth.js';

const connection = { id: 'c1', name: 'web01', protocol: 'ssh' } as ResolvedConnection;

function key(): ssh2.ParsedKey {
  const { private: pem } = ssh2.utils.generateKeyPairSync('ed25519');
  return ssh2.utils.parseKey(pem) as ssh2.ParsedKey;
}

function setup(registered: ssh2.ParsedKey) {
  const authenticate = jest.fn(async () => ({
    ok: true as const,
    principal: { id: 'u1', kind: 'user' as const, displayName: 'Alice', groups: [] },
  }));
  const context = strictMock<EngineContext>(
    {
      resolveConnection: () => connection,
      knowsPublicKey: (_c, user, blob) => user === 'alice' && blob.equals(registered.getPublicSSH()),
      authenticate,
      logger: { info: () => undefined, error: () => undefined } as never,
    },
    'EngineContext',
  );
  const admitted: string[] = [];
  const auth = new ClientAuth(
    context,
    3,
    (who) => void admitted.push(who.principal.id),
    () => undefined,
    new UsedSessionIds(),
  );
  return { auth, authenticate, admitted };
}

/** A publickey AuthContext as ssh2 gives it; resolves with accept or reject. */
function attempt(auth: ClientAuth, offered: ssh2.ParsedKey, signer: ssh2.ParsedKey | null): Promise<string> {
  return new Promise((resolve) => {
    const blob = Buffer.from('session id and request');
    const ctx = {
      method: 'publickey',
      username: 'alice+web01',
      key: { algo: offered.type, data: offered.getPublicSSH() },
      ...(signer === null ? {} : { blob, signature: signer.sign(blob) }),
      accept: () => resolve('accept'),
      reject: () => resolve('reject'),
    } as unknown as ssh2.AuthContext;
    auth.handle(ctx);
  });
}

describe('ClientAuth: public keys', () => {
  test('a key query is answered from the snapshot, without authenticating', async () => {
    const alice = key();
    const { auth, authenticate } = setup(alice);
    expect(await attempt(auth, alice, null)).toBe('accept');
    expect(await attempt(auth, key(), null)).toBe('reject');
    expect(authenticate).not.toHaveBeenCalled();
  });

  test('a signature by the offered key admits; one by another key is refused before the authenticator', async () => {
    const alice = key();
    const { auth, authenticate, admitted } = setup(alice);
    expect(await attempt(auth, alice, key())).toBe('reject');
    expect(authenticate).not.toHaveBeenCalled();
    expect(await attempt(auth, alice, alice)).toBe('accept');
    expect(authenticate).toHaveBeenCalledWith(connection, 'alice', {
      kind: 'public-key',
      publicKey: alice.getPublicSSH(),
    });
    expect(admitted).toEqual(['u1']);
  });
});
