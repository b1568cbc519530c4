import { describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { CONNECTION_CREDENTIAL_VECTOR } from '@postern/contracts';
import type { PolicySnapshot__Output } from '@postern/proto';
import { Authenticator, resolveConnection } from './authenticator.js';

const connectionId = '11111111-1111-4111-8111-111111111111';
const credentialId = '22222222-2222-4222-8222-222222222222';
const secret = randomBytes(32).toString('base64url');
const password = `postern_conn_${credentialId.replaceAll('-', '')}_${secret}`;

function snapshot(
  overrides: { expiresAt?: number; groups?: string[]; ruleGroups?: string[] } = {},
): PolicySnapshot__Output {
  return {
    version: '7',
    connections: [
      {
        id: connectionId,
        name: 'orders',
        protocol: 'postgres',
        targetHost: 'db',
        targetPort: 5432,
        targetDatabase: 'orders',
        targetUser: 'app',
        secretRef: 'env:PW',
        tlsMode: 'require',
        tlsCaRef: '',
        recordingMode: 'strict',
        settings: {},
      },
    ],
    accessRules: [
      {
        id: 'r1',
        connectionId,
        groups: overrides.ruleGroups ?? ['engineers'],
        operations: ['read'],
        requiresApproval: false,
        maxSessionSeconds: 0,
      },
    ],
    credentials: [
      {
        id: credentialId,
        secretHash: createHash('sha256').update(secret).digest(),
        connectionId,
        expiresAt: { unixMs: String(overrides.expiresAt ?? Date.now() + 60_000) },
        principal: {
          id: 'u1',
          displayName: 'Alice',
          groups: overrides.groups ?? ['engineers'],
          kind: 'KIND_USER',
          loginNames: ['alice@example.com'],
        },
      },
    ],
    guardrails: [],
    maskingRules: [],
    approvalRules: [],
    grants: [],
    revokedPrincipals: [],
    generatedAt: null,
    identity: null,
  } as unknown as PolicySnapshot__Output;
}

describe('Authenticator', () => {
  const orders = resolveConnection(snapshot(), 'orders', 'postgres')!;

  test('a bearer credential without a user name (HTTP, Kubernetes) is its own principal', async () => {
    const result = await new Authenticator(() => snapshot()).authenticate(orders, null, password);
    expect(result).toMatchObject({ ok: true, principal: { id: 'u1', loginName: 'alice@example.com' } });
    const wrong = await new Authenticator(() => snapshot()).authenticate(orders, null, `${password.slice(0, -4)}AAAA`);
    expect(wrong).toMatchObject({ ok: false, reason: 'invalid_credential' });
  });

  test('admits a valid credential with its principal', async () => {
    const result = await new Authenticator(() => snapshot()).authenticate(orders, 'alice@example.com', password);
    expect(result).toEqual({
      ok: true,
      principal: {
        id: 'u1',
        kind: 'user',
        displayName: 'Alice',
        groups: ['engineers'],
        loginName: 'alice@example.com',
      },
      grant: { kind: 'credential', credentialId, connectionId, principalId: 'u1', sessionDeadline: null },
    });
  });

  test('refuses a wrong secret, a malformed password and an unknown credential alike', async () => {
    const auth = new Authenticator(() => snapshot());
    for (const bad of [`${password.slice(0, -1)}x`, 'hunter2', `postern_conn_${'0'.repeat(32)}_${secret}`, 'a.b.c']) {
      expect(await auth.authenticate(orders, 'alice@example.com', bad)).toMatchObject({
        ok: false,
        reason: 'invalid_credential',
      });
    }
  });

  test('refuses a user name that is not the credential principal’s, and accepts its e-mail in any case', async () => {
    const auth = new Authenticator(() => snapshot());
    expect(await auth.authenticate(orders, 'bob', password)).toMatchObject({
      ok: false,
      reason: 'user_mismatch',
      loginNames: ['alice@example.com'],
    });
    expect(await auth.authenticate(orders, 'Alice@Example.com', password)).toMatchObject({ ok: true });
  });

  test('refuses an expired credential', async () => {
    expect(
      await new Authenticator(() => snapshot({ expiresAt: Date.now() - 60_000 })).authenticate(
        orders,
        'alice@example.com',
        password,
      ),
    ).toMatchObject({
      ok: false,
      reason: 'expired_credential',
    });
  });

  test('refuses a principal whose groups no access rule names', async () => {
    expect(
      await new Authenticator(() => snapshot({ ruleGroups: ['dba'] })).authenticate(
        orders,
        'alice@example.com',
        password,
      ),
    ).toMatchObject({
      ok: false,
      reason: 'no_access',
    });
  });

  test('refuses everything without a policy (fail closed)', async () => {
    expect(await new Authenticator(() => null).authenticate(orders, 'alice@example.com', password)).toMatchObject({
      ok: false,
    });
    expect(resolveConnection(null, 'orders', 'postgres')).toBeNull();
  });

  test('a credential for another connection does not open this one', async () => {
    const other = { ...orders, id: '33333333-3333-4333-8333-333333333333' };
    expect(await new Authenticator(() => snapshot()).authenticate(other, 'alice@example.com', password)).toMatchObject({
      ok: false,
      reason: 'invalid_credential',
    });
  });
});

describe('Authenticator.stillAuthorized (live sessions)', () => {
  const grant = { kind: 'credential', credentialId, connectionId, principalId: 'u1', sessionDeadline: null } as const;

  test('a live session stays while its credential, expiry and access rule hold', () => {
    expect(new Authenticator(() => snapshot()).stillAuthorized(grant)).toEqual({ ok: true });
  });

  test('ends when the credential expires, is revoked (or its user disabled), or the rule goes', () => {
    const now = Date.now();
    expect(new Authenticator(() => snapshot({ expiresAt: now + 1000 })).stillAuthorized(grant, now + 1000)).toEqual({
      ok: false,
      reason: 'credential expired',
    });
    const revoked = { ...snapshot(), credentials: [] } as unknown as PolicySnapshot__Output;
    expect(new Authenticator(() => revoked).stillAuthorized(grant)).toEqual({
      ok: false,
      reason: 'credential revoked',
    });
    expect(new Authenticator(() => snapshot({ ruleGroups: ['dba'] })).stillAuthorized(grant)).toEqual({
      ok: false,
      reason: 'access rule removed',
    });
  });
});

test('a token grant ends at the token expiry and when its groups lose access', () => {
  const now = Date.now();
  const grant = {
    kind: 'token',
    expiresAt: now + 5_000,
    groups: ['engineers'],
    connectionId,
    principalId: 'oidc:ci',
    sessionDeadline: null,
  } as const;
  const auth = new Authenticator(() => snapshot());
  expect(auth.stillAuthorized(grant, now)).toEqual({ ok: true });
  expect(auth.stillAuthorized(grant, now + 5_000)).toEqual({ ok: false, reason: 'token expired' });
  expect(new Authenticator(() => snapshot({ ruleGroups: ['dba'] })).stillAuthorized(grant, now)).toEqual({
    ok: false,
    reason: 'access rule removed',
  });
});

describe('just-in-time grants', () => {
  const orders = resolveConnection(snapshot(), 'orders', 'postgres')!;
  function withGrant(expiresAt: number): PolicySnapshot__Output {
    const base = snapshot({ ruleGroups: ['engineers'] });
    return {
      ...base,
      accessRules: base.accessRules.map((r) => ({ ...r, requiresApproval: true })),
      grants: [
        { id: 'g1', principalId: 'u1', connectionId, operations: ['read'], expiresAt: { unixMs: String(expiresAt) } },
      ],
    } as unknown as PolicySnapshot__Output;
  }

  test('a rule that requires approval admits no one by itself', async () => {
    const noGrant = { ...withGrant(Date.now() + 60_000), grants: [] } as unknown as PolicySnapshot__Output;
    expect(await new Authenticator(() => noGrant).authenticate(orders, 'alice@example.com', password)).toMatchObject({
      ok: false,
      reason: 'no_access',
    });
  });

  test('an unexpired grant admits its principal, and the session ends when the grant expires', async () => {
    const now = Date.now();
    const auth = new Authenticator(() => withGrant(now + 30_000));
    const admission = await auth.authenticate(orders, 'alice@example.com', password, now);
    expect(admission.ok).toBe(true);
    if (!admission.ok) return;
    expect(auth.stillAuthorized(admission.grant, now + 29_000)).toEqual({ ok: true });
    expect(auth.stillAuthorized(admission.grant, now + 30_000)).toEqual({ ok: false, reason: 'access rule removed' });
  });
});

test('a token session ends when its identity is disabled in Postern', () => {
  const grant = {
    kind: 'token',
    expiresAt: Date.now() + 60_000,
    groups: ['engineers'],
    connectionId,
    principalId: 'oidc:ci',
    sessionDeadline: null,
  } as const;
  const disabled = {
    ...snapshot(),
    revokedPrincipals: [{ principalId: 'oidc:ci', revokedAt: { unixMs: '1' } }],
  } as unknown as PolicySnapshot__Output;
  expect(new Authenticator(() => disabled).stillAuthorized(grant)).toEqual({ ok: false, reason: 'identity disabled' });
});

test('the maximum session length of the admitting rule ends a session', async () => {
  const base = snapshot();
  const limited = {
    ...base,
    accessRules: base.accessRules.map((r) => ({ ...r, maxSessionSeconds: 30 })),
  } as unknown as PolicySnapshot__Output;
  const auth = new Authenticator(() => limited);
  const now = Date.now();
  const admission = await auth.authenticate(
    resolveConnection(limited, 'orders', 'postgres')!,
    'alice@example.com',
    password,
    now,
  );
  expect(admission.ok).toBe(true);
  if (!admission.ok) return;
  expect(admission.grant.sessionDeadline).toBe(now + 30_000);
  expect(auth.stillAuthorized(admission.grant, now + 29_000)).toEqual({ ok: true });
  expect(auth.stillAuthorized(admission.grant, now + 30_000)).toEqual({
    ok: false,
    reason: 'maximum session length reached',
  });
});

test('nextCheck is the earliest expiry that can end a session without a policy change', () => {
  const now = Date.now();
  const auth = new Authenticator(() => snapshot({ expiresAt: now + 50_000 }));
  const credentialGrant = {
    kind: 'credential',
    credentialId,
    connectionId,
    principalId: 'u1',
    sessionDeadline: null,
  } as const;
  expect(auth.nextCheck(credentialGrant)).toBe(now + 50_000);
  expect(auth.nextCheck({ ...credentialGrant, sessionDeadline: now + 10_000 })).toBe(now + 10_000);
  const tokenGrant = {
    kind: 'token',
    expiresAt: now + 5_000,
    groups: ['engineers'],
    connectionId,
    principalId: 'oidc:ci',
    sessionDeadline: null,
  } as const;
  expect(auth.nextCheck(tokenGrant)).toBe(now + 5_000);
});

describe('the connection credential contract (@postern/contracts, shared with the control plane)', () => {
  const pinned = snapshot();
  pinned.credentials[0] = {
    ...pinned.credentials[0]!,
    id: CONNECTION_CREDENTIAL_VECTOR.credentialId,
    secretHash: Buffer.from(CONNECTION_CREDENTIAL_VECTOR.secretHashHex, 'hex'),
  };
  const orders = resolveConnection(pinned, 'orders', 'postgres')!;

  test('admits the pinned token the control plane mints for the pinned hash', async () => {
    const result = await new Authenticator(() => pinned).authenticate(
      orders,
      'alice@example.com',
      CONNECTION_CREDENTIAL_VECTOR.token,
    );
    expect(result).toMatchObject({ ok: true, grant: { credentialId: CONNECTION_CREDENTIAL_VECTOR.credentialId } });
  });

  test('refuses the near misses the control plane refuses', async () => {
    const auth = new Authenticator(() => pinned);
    for (const token of CONNECTION_CREDENTIAL_VECTOR.malformed) {
      expect(await auth.authenticate(orders, 'alice@example.com', token)).toMatchObject({ ok: false });
    }
  });
});
