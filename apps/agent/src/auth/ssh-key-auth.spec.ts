import { describe, expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { sshKeyFingerprint } from '@postern/contracts';
import type { PolicySnapshot__Output } from '@postern/proto';
import { Authenticator, resolveConnection, type Grant } from './authenticator.js';

const connectionId = '11111111-1111-4111-8111-111111111111';

/** An Ed25519 public key blob in SSH wire format. */
function ed25519Blob(): Buffer {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]);
}

const aliceKey = ed25519Blob();
const otherKey = ed25519Blob();

function snapshot(
  overrides: {
    keys?: Buffer[];
    rules?: { groups: string[]; operations: string[]; requiresApproval?: boolean }[];
    grants?: { operations: string[]; expiresAt: number }[];
  } = {},
): PolicySnapshot__Output {
  return {
    version: '3',
    connections: [
      {
        id: connectionId,
        name: 'web01',
        protocol: 'ssh',
        targetHost: 'web01',
        targetPort: 22,
        targetDatabase: '',
        targetUser: 'deploy',
        secretRef: 'env:KEY',
        tlsMode: 'disable',
        tlsCaRef: '',
        recordingMode: 'strict',
        settings: { hostKeyFingerprint: 'SHA256:x' },
      },
    ],
    accessRules: (overrides.rules ?? [{ groups: ['ops'], operations: ['exec'] }]).map((r, i) => ({
      id: `r${i}`,
      connectionId,
      groups: r.groups,
      operations: r.operations,
      requiresApproval: r.requiresApproval ?? false,
      maxSessionSeconds: 0,
    })),
    sshKeys: (overrides.keys ?? [aliceKey]).map((key, i) => ({
      id: `k${i}`,
      fingerprint: sshKeyFingerprint(key),
      publicKey: key,
      principal: {
        id: 'u1',
        displayName: 'Alice',
        groups: ['ops'],
        kind: 'KIND_USER',
        loginNames: ['alice@example.com'],
      },
    })),
    grants: (overrides.grants ?? []).map((g, i) => ({
      id: `g${i}`,
      principalId: 'u1',
      connectionId,
      operations: g.operations,
      expiresAt: { unixMs: String(g.expiresAt) },
    })),
    credentials: [],
    guardrails: [],
    maskingRules: [],
    approvalRules: [],
    revokedPrincipals: [],
    generatedAt: null,
    identity: null,
  } as unknown as PolicySnapshot__Output;
}

const web01 = resolveConnection(snapshot(), 'web01', 'ssh')!;
const proof = (publicKey: Buffer) => ({ kind: 'public-key' as const, publicKey });

describe('Authenticator: SSH public keys', () => {
  test("admits a registered key as its principal, under the principal's login name only", async () => {
    const auth = new Authenticator(() => snapshot());
    expect(await auth.authenticate(web01, 'alice@example.com', proof(aliceKey))).toMatchObject({
      ok: true,
      principal: { id: 'u1', groups: ['ops'] },
      grant: { kind: 'ssh-key', keyId: 'k0', principalId: 'u1' },
    });
    expect(await auth.authenticate(web01, 'bob@example.com', proof(aliceKey))).toMatchObject({
      ok: false,
      reason: 'user_mismatch',
    });
    expect(await auth.authenticate(web01, 'alice@example.com', proof(otherKey))).toMatchObject({
      ok: false,
      reason: 'invalid_credential',
    });
    expect(auth.knowsSshKey(web01, 'alice@example.com', aliceKey)).toBe(true);
    expect(auth.knowsSshKey(web01, 'bob@example.com', aliceKey)).toBe(false);
    expect(auth.knowsSshKey(web01, 'alice@example.com', otherKey)).toBe(false);
  });

  test('a key is not a credential for other protocols, nor without access', async () => {
    const postgres = { ...web01, protocol: 'postgres' };
    expect(
      await new Authenticator(() => snapshot()).authenticate(postgres, 'alice@example.com', proof(aliceKey)),
    ).toMatchObject({ ok: false });
    const noRule = new Authenticator(() => snapshot({ rules: [{ groups: ['other'], operations: [] }] }));
    expect(await noRule.authenticate(web01, 'alice@example.com', proof(aliceKey))).toMatchObject({
      ok: false,
      reason: 'no_access',
    });
    const approvalOnly = new Authenticator(() =>
      snapshot({ rules: [{ groups: ['ops'], operations: [], requiresApproval: true }] }),
    );
    expect(await approvalOnly.authenticate(web01, 'alice@example.com', proof(aliceKey))).toMatchObject({
      ok: false,
      reason: 'no_access',
    });
  });

  test('a just-in-time grant admits the key holder, with the grant’s operations', async () => {
    const policy = snapshot({
      rules: [{ groups: ['ops'], operations: ['shell'], requiresApproval: true }],
      grants: [{ operations: ['exec'], expiresAt: Date.now() + 60_000 }],
    });
    const auth = new Authenticator(() => policy);
    const admitted = await auth.authenticate(web01, 'alice@example.com', proof(aliceKey));
    expect(admitted.ok).toBe(true);
    expect(auth.operations((admitted as { grant: Grant }).grant)).toEqual([['exec']]);
  });

  test('removing the key or the access ends the session at the next check; operations follow the rules', async () => {
    let policy = snapshot({
      rules: [
        { groups: ['ops'], operations: ['exec'] },
        { groups: ['ops'], operations: ['read'] },
      ],
    });
    const auth = new Authenticator(() => policy);
    const admitted = (await auth.authenticate(web01, 'alice@example.com', proof(aliceKey))) as { grant: Grant };
    expect(auth.stillAuthorized(admitted.grant)).toEqual({ ok: true });
    expect(auth.operations(admitted.grant)).toEqual([['exec'], ['read']]);
    policy = snapshot({ keys: [] });
    expect(auth.stillAuthorized(admitted.grant)).toEqual({ ok: false, reason: 'ssh key removed' });
    policy = snapshot({ rules: [{ groups: ['other'], operations: [] }] });
    expect(auth.stillAuthorized(admitted.grant)).toEqual({ ok: false, reason: 'access rule removed' });
  });
});
