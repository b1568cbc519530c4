import { describe, expect, test } from '@jest/globals';
import type { Endpoint } from './gateway.js';
import { nativeClient, type Minted } from './native-clients.js';

const MINTED: Minted = {
  password: 'postern_conn_abc.secret',
  database: 'shop-mysql',
  loginName: 'alice@example.com',
  credential: { id: 'c1', expiresAt: '2026-01-01T00:00:00Z' },
};
const RELAY: Endpoint = { host: 'localhost', port: 3307, tls: 'verify-full', caFile: '/home/a/.config/postern/ca.pem' };

describe('postern connect for MySQL', () => {
  test('mariadb over TCP to the endpoint, TLS verified with the CA, the password only in the environment', () => {
    const client = nativeClient('mysql', RELAY, MINTED, ['-e', 'select 1']);
    expect(client.command).toBe('mariadb');
    expect(client.args).toEqual([
      '--protocol=TCP',
      '--host=localhost',
      '--port=3307',
      '--user=alice@example.com',
      '--database=shop-mysql',
      '--ssl',
      '--ssl-verify-server-cert',
      '--ssl-ca=/home/a/.config/postern/ca.pem',
      '-e',
      'select 1',
    ]);
    expect(client.env['MYSQL_PWD']).toBe(MINTED.password);
    expect(client.args.join(' ')).not.toContain('secret');
  });

  test("Oracle's mysql when mariadb is missing: clear-text plugin enabled, ssl-mode for TLS", () => {
    const fallback = nativeClient('mysql', RELAY, MINTED, []).fallback!;
    expect(fallback.command).toBe('mysql');
    expect(fallback.args).toEqual(
      expect.arrayContaining(['--protocol=TCP', '--enable-cleartext-plugin', '--ssl-mode=VERIFY_IDENTITY']),
    );
    const plain = nativeClient('mysql', { ...RELAY, tls: 'disable', caFile: null }, MINTED, []);
    expect(plain.args).toContain('--skip-ssl');
    expect(plain.fallback!.args).toContain('--ssl-mode=DISABLED');
  });
});
