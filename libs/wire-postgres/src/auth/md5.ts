import { createHash } from 'node:crypto';

function md5Hex(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}

/**
 * What PostgreSQL stores for an md5 role: 'md5' + md5(password + user). A proxy holding this
 * instead of the password can still answer an AuthenticationMD5Password request.
 */
export function md5PasswordHash(user: string, password: string): string {
  return 'md5' + md5Hex(password + user);
}

/**
 * The PasswordMessage content answering AuthenticationMD5Password:
 * 'md5' + md5(md5(password + user) as hex + salt).
 */
export function md5Password(user: string, password: string, salt: Uint8Array): string {
  return md5PasswordFromHash(md5PasswordHash(user, password), salt);
}

/** Same as `md5Password`, from the stored 'md5…' hash rather than the password. */
export function md5PasswordFromHash(storedHash: string, salt: Uint8Array): string {
  if (!/^md5[0-9a-f]{32}$/.test(storedHash)) throw new RangeError('not an md5 password hash');
  if (salt.length !== 4) throw new RangeError(`an MD5 salt is 4 bytes, got ${salt.length}`);
  return 'md5' + md5Hex(Buffer.concat([Buffer.from(storedHash.slice(3), 'latin1'), salt]));
}
