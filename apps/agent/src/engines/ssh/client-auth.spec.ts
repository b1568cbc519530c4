import { describe, expect, jest, test } from '@jest/globals';
import ssh2 from 'ssh2';
import { strictMock } from '@postern/testing';
import type { EngineContext, ResolvedConnection } from '../engine.js';
import { UsedSessionIds } from './relayed-key.js';
import { ClientAuth } from './client-auth.js';
import { encodeRelayedKeyProof } from '@postern/contracts';

const connection = { id: 'c1', name: 'web01', protocol: 'ssh' } as ResolvedConnection;

function key(): ssh2.ParsedKey {
  const { private: pem } = ssh2.utils.generateKeyPairSync('ed25519');
  return ssh2.utils.parseKey(pem) as ssh2.ParsedKey;
}

function setup(registered: ssh2.ParsedKey, ingress: 'local' | 'relay' = 'local') {
  const authenticate = jest.fn(async () => ({
    ok: true as const,
    principal: { id: 'u1', kind: 'user' as const, displayName: 'Alice', groups: [] },
  }));
  const context = strictMock<EngineContext>(
    {
      ingress,
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

/** What OpenSSH signs for a publickey login (RFC 4252 §7), on the relay's connection `sessionId`. */
function signedRequest(sessionId: Buffer, user: string, publicKey: Buffer): Buffer {
  const string = (value: Buffer | string) => {
    const bytes = Buffer.from(value);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  return Buffer.concat([
    string(sessionId),
    Buffer.from([50]),
    string(user),
    string('ssh-connection'),
    string('publickey'),
    Buffer.from([1]),
    string('ssh-ed25519'),
    string(publicKey),
  ]);
}

function relayedProof(
  signer: ssh2.ParsedKey,
  options: { sessionId?: Buffer; user?: string; offered?: ssh2.ParsedKey } = {},
) {
  const offered = (options.offered ?? signer).getPublicSSH();
  const signed = signedRequest(
    options.sessionId ?? Buffer.from('relay-session-1'),
    options.user ?? 'alice+web01',
    offered,
  );
  return encodeRelayedKeyProof({ publicKey: offered, signed, signature: signer.sign(signed), hashAlgo: '' });
}

function passwordAttempt(auth: ClientAuth, password: string): Promise<string> {
  return new Promise((resolve) => {
    const ctx = {
      method: 'password',
      username: 'alice+web01',
      password,
      accept: () => resolve('accept'),
      reject: () => resolve('reject'),
    } as unknown as ssh2.AuthContext;
    auth.handle(ctx);
  });
}

describe('ClientAuth: public-key logins relayed by the control plane', () => {
  test('a valid proof on a relay data connection admits the key, once per relay session id', async () => {
    const alice = key();
    const { auth, authenticate, admitted } = setup(alice, 'relay');
    const proof = relayedProof(alice);
    expect(await passwordAttempt(auth, proof)).toBe('accept');
    expect(authenticate).toHaveBeenCalledWith(connection, 'alice', {
      kind: 'public-key',
      publicKey: alice.getPublicSSH(),
    });
    expect(admitted).toEqual(['u1']);
    // The same proof again (a replay by whoever saw it) is refused before the authenticator.
    authenticate.mockClear();
    expect(await passwordAttempt(auth, proof)).toBe('reject');
    expect(authenticate).not.toHaveBeenCalled();
  });

  test('proofs for another login, another key, or signed by another key are refused', async () => {
    const alice = key();
    const { auth, authenticate } = setup(alice, 'relay');
    expect(await passwordAttempt(auth, relayedProof(alice, { user: 'mallory+web01' }))).toBe('reject');
    expect(await passwordAttempt(auth, relayedProof(key(), { offered: alice, sessionId: Buffer.from('s2') }))).toBe(
      'reject',
    );
    expect(await passwordAttempt(auth, `${relayedProof(alice).slice(0, -8)}AAAAAAAA`)).toBe('reject');
    expect(authenticate).not.toHaveBeenCalled();
  });

  test('on the local ingress a proof is only a (wrong) password: the key is not admitted', async () => {
    const alice = key();
    const { auth, authenticate } = setup(alice, 'local');
    await passwordAttempt(auth, relayedProof(alice));
    expect(authenticate).not.toHaveBeenCalledWith(connection, 'alice', expect.objectContaining({ kind: 'public-key' }));
  });
});
