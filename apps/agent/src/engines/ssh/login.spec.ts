import { describe, expect, test } from '@jest/globals';
import { parseLogin } from './login.js';

describe('ssh login names', () => {
  test.each([
    ['alice@example.com+web01', { user: 'alice@example.com', connection: 'web01' }],
    ['alice+ops@example.com+web01', { user: 'alice+ops@example.com', connection: 'web01' }],
    ['ci-runner+db-bastion', { user: 'ci-runner', connection: 'db-bastion' }],
  ])('%s names a user and a connection', (name, expected) => {
    expect(parseLogin(name)).toEqual(expected);
  });

  test.each(['web01', '+web01', 'alice+', ''])('%j is refused', (name) => {
    expect(parseLogin(name)).toBeNull();
  });
});
