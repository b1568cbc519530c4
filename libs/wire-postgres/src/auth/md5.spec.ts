import { describe, expect, test } from '@jest/globals';
import { md5Password, md5PasswordFromHash, md5PasswordHash, saslprep } from '../index.js';

// Expected values computed independently with Python's hashlib:
//   inner = md5(b'secretalice').hexdigest()
//   'md5' + md5(inner.encode() + bytes([1, 2, 3, 4])).hexdigest()
describe('md5 password', () => {
  const salt = Buffer.from([1, 2, 3, 4]);

  test('stored hash is md5 of password + user', () => {
    expect(md5PasswordHash('alice', 'secret')).toBe('md54a0a68b43b6cd5cf266fa02f196e2371');
  });

  test('the answer to AuthenticationMD5Password', () => {
    expect(md5Password('alice', 'secret', salt)).toBe('md598a0412b9c31436fc53776e863350083');
    expect(md5PasswordFromHash('md54a0a68b43b6cd5cf266fa02f196e2371', salt)).toBe(
      'md598a0412b9c31436fc53776e863350083',
    );
  });

  test('refuses a salt that is not 4 bytes and a hash that is not md5', () => {
    expect(() => md5Password('alice', 'secret', Buffer.alloc(3))).toThrow(RangeError);
    expect(() => md5PasswordFromHash('SCRAM-SHA-256$4096:...', salt)).toThrow(RangeError);
  });
});

describe('saslprep', () => {
  test('RFC 4013 examples', () => {
    expect(saslprep('I\u00ADX')).toBe('IX'); // soft hyphen mapped to nothing
    expect(saslprep('user')).toBe('user');
    expect(saslprep('USER')).toBe('USER');
    expect(saslprep('\u00AA')).toBe('a'); // NFKC
    expect(saslprep('\u2168')).toBe('IX'); // NFKC
  });

  test('non-ASCII spaces become spaces', () => {
    expect(saslprep('pass\u00A0word')).toBe('pass word');
  });

  test('prohibited output falls back to the password as given, like PostgreSQL', () => {
    expect(saslprep('pass\u0080é')).toBe('pass\u0080é');
    expect(saslprep('\u00AD')).toBe('\u00AD');
    expect(saslprep('a\u0007b')).toBe('a\u0007b'); // ASCII is never prepared
  });
});
