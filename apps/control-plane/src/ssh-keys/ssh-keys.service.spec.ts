import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { strictMock } from '@postern/testing';
import type { AuditService } from '../audit/audit.service.js';
import type { UsersService } from '../identity/users.service.js';
import type { Actor } from '../platform/auth/actor.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../platform/errors/domain-error.js';
import type { PolicyService } from '../policy/policy.service.js';
import type { SshKey } from './ssh-key.types.js';
import { DuplicateSshKeyError, type SshKeysRepository } from './ssh-keys.repository.js';
import { SshKeysService } from './ssh-keys.service.js';

const ALICE = '4a3b2c1d-0e9f-4a8b-8c7d-6e5f4a3b2c1d';
const KEY_ID = '5b3b2c1d-0e9f-4a8b-8c7d-6e5f4a3b2c1d';
const alice: Actor = { id: ALICE, kind: 'user', roles: ['user'], groups: [] };
const bob: Actor = { id: '6c3b2c1d-0e9f-4a8b-8c7d-6e5f4a3b2c1d', kind: 'user', roles: ['user'], groups: [] };
const admin: Actor = { id: 'admin', kind: 'admin-token', roles: ['admin'], groups: [] };

function ed25519Line(comment: string): string {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]).toString('base64')} ${comment}`;
}

function setup(add: SshKeysRepository['add'] = async (input) => ({ ...input, id: KEY_ID, createdAt: new Date(0) })) {
  const audits: string[] = [];
  const changes: string[] = [];
  const stored: SshKey = {
    id: KEY_ID,
    userId: ALICE,
    name: 'laptop',
    algorithm: 'ssh-ed25519',
    fingerprint: 'SHA256:x',
    bits: 256,
    createdAt: new Date(0),
  };
  const service = new SshKeysService(
    strictMock<SshKeysRepository>({ add, get: async () => stored, remove: async () => stored }, 'SshKeysRepository'),
    strictMock<UsersService>({ get: async (id: string) => ({ id, disabledAt: null }) as never }, 'UsersService'),
    strictMock<PolicyService>({ changed: async (reason: string) => (changes.push(reason), 1n) }, 'PolicyService'),
    strictMock<AuditService>({ record: async (entry) => void audits.push(entry.kind) }, 'AuditService'),
  );
  return { service, audits, changes };
}

describe('SshKeysService', () => {
  test('adds a valid key named by its comment, audits it and pushes the policy', async () => {
    const { service, audits, changes } = setup();
    const key = await service.add(ALICE, { publicKey: ed25519Line('alice laptop') }, alice);
    expect(key).toMatchObject({ name: 'alice laptop', algorithm: 'ssh-ed25519', bits: 256 });
    expect(key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(audits).toEqual(['ssh_key.added']);
    expect(changes).toEqual(['ssh key added']);
  });

  test('refuses bad keys, control characters in names, duplicates and the per-user limit', async () => {
    const { service, audits } = setup();
    await expect(service.add(ALICE, { publicKey: 'ssh-dss AAAA' }, alice)).rejects.toThrow(InvalidArgumentError);
    await expect(service.add(ALICE, { publicKey: ed25519Line('x'), name: 'a\u0007b' }, alice)).rejects.toThrow(
      InvalidArgumentError,
    );
    const duplicate = setup(async () => {
      throw new DuplicateSshKeyError('dup');
    });
    await expect(duplicate.service.add(ALICE, { publicKey: ed25519Line('x') }, alice)).rejects.toThrow(
      AlreadyExistsError,
    );
    const full = setup(async () => 'limit');
    await expect(full.service.add(ALICE, { publicKey: ed25519Line('x') }, alice)).rejects.toThrow(/at most 10/);
    expect(audits).toEqual([]);
  });

  test('a key is removed by its owner or an admin; anyone else is told it does not exist', async () => {
    const { service, audits } = setup();
    await expect(service.remove(KEY_ID, bob)).rejects.toThrow(NotFoundError);
    await expect(service.remove(KEY_ID, alice)).resolves.toMatchObject({ id: KEY_ID });
    await expect(service.remove(KEY_ID, admin)).resolves.toMatchObject({ id: KEY_ID });
    expect(audits).toEqual(['ssh_key.removed', 'ssh_key.removed']);
  });
});
