import { expect, test } from '@jest/globals';
import { nameConnection } from './gateway.js';

test('the database of the handshake names the connection; the user name is taken whole', () => {
  expect(nameConnection('alice', 'shop')).toEqual({ user: 'alice', connection: 'shop' });
  expect(nameConnection('ada+work@example.com', 'shop')).toEqual({ user: 'ada+work@example.com', connection: 'shop' });
});

test('without a database the connection is after the last + of the user name', () => {
  expect(nameConnection('alice+shop', null)).toEqual({ user: 'alice', connection: 'shop' });
  expect(nameConnection('ada+work@example.com+shop', '')).toEqual({ user: 'ada+work@example.com', connection: 'shop' });
  expect(nameConnection('alice', undefined)).toBeNull();
  expect(nameConnection('+shop', null)).toBeNull();
  expect(nameConnection('alice+', null)).toBeNull();
});

test('both given: a user name ending with +<the database> is that user', () => {
  expect(nameConnection('alice+shop', 'shop')).toEqual({ user: 'alice', connection: 'shop' });
  expect(nameConnection('alice+crm', 'shop')).toEqual({ user: 'alice+crm', connection: 'shop' });
});
