import { describe, expect, test } from '@jest/globals';
import { parseSshUser } from './ssh-login.js';

describe('parseSshUser', () => {
  test('splits <login>+<connection> at the last +', () => {
    expect(parseSshUser('alice@example.com+web01')).toEqual({ login: 'alice@example.com', connection: 'web01' });
    expect(parseSshUser('bob+tag@example.com+db-1')).toEqual({ login: 'bob+tag@example.com', connection: 'db-1' });
  });

  test('refuses names without both parts, too long, or with control characters', () => {
    for (const user of ['alice', '+web01', 'alice+', '', 'a\u0000+b', 'a+b\n', `${'a'.repeat(250)}+web01`]) {
      expect(parseSshUser(user)).toBeNull();
    }
  });
});
