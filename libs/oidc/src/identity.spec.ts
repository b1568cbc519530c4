import { describe, expect, test } from '@jest/globals';
import { identityKind, readGroups } from './identity.js';

describe('readGroups', () => {
  test.each<[string, Record<string, unknown>, string, string[]]>([
    ['a plain claim', { groups: ['a', 'b'] }, 'groups', ['a', 'b']],
    ['a missing claim', {}, 'groups', []],
    ['a single string', { groups: 'admins' }, 'groups', ['admins']],
    ['non-strings and duplicates dropped', { groups: ['a', 1, null, 'a', ''] }, 'groups', ['a']],
    ['a dotted path', { realm_access: { roles: ['dba'] } }, 'realm_access.roles', ['dba']],
    ['a path through a non-object', { realm_access: 'x' }, 'realm_access.roles', []],
    ['a claim whose name has dots', { 'https://example.com/groups': ['x'] }, 'https://example.com/groups', ['x']],
    ['an object instead of a list', { groups: { admin: true } }, 'groups', []],
    ['no prototype walking', { groups: [] }, 'constructor.name', []],
  ])('%s', (_name, claims, path, expected) => {
    expect(readGroups(claims, path)).toEqual(expected);
  });
});

describe('identityKind', () => {
  test.each<[string, Record<string, unknown>, string | undefined, 'user' | 'service']>([
    ['sub equals client_id (RFC 9068, oidc-provider)', { sub: 'ci-runner' }, 'ci-runner', 'service'],
    ['Auth0 gty', { sub: 'abc@clients', gty: 'client-credentials' }, 'abc', 'service'],
    ['Entra ID app-only', { sub: 'oid', idtyp: 'app' }, 'app-id', 'service'],
    ['no sub', {}, 'job', 'service'],
    ['a person using a client', { sub: 'alice' }, 'postern-cli', 'user'],
    ['a person, no client id', { sub: 'alice' }, undefined, 'user'],
  ])('%s', (_name, claims, clientId, kind) => {
    expect(identityKind(claims, clientId)).toBe(kind);
  });
});
