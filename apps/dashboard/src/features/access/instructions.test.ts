import { describe, expect, test } from 'vitest';
import { connectionInstructions, type RelayDoor } from './instructions';

const minted = { database: 'web01', loginName: 'alice@example.com', password: "postern_conn_x'y" };
const doors: RelayDoor[] = [
  { protocol: 'postgres', host: 'gw.example.com', port: 5433, tls: true },
  { protocol: 'mysql', host: null, port: 3307, tls: true },
  { protocol: 'ssh', host: 'gw.example.com', port: 2222, tls: false },
  { protocol: 'http', host: 'gw.example.com', port: 8444, tls: true },
  { protocol: 'kubernetes', host: 'gw.example.com', port: 8444, tls: true },
];

describe('connectionInstructions', () => {
  test("each protocol gets its own client's command through the relay door", () => {
    const line = (protocol: string) => connectionInstructions(protocol, doors, minted, 'dash.example.com');
    expect(line('POSTGRES')).toBe(
      `PGPASSWORD='postern_conn_x'\\''y' psql "host=gw.example.com port=5433 dbname=web01 user=alice@example.com sslmode=require"`,
    );
    // A door naming no host: the dashboard's own.
    expect(line('MYSQL')).toBe(
      `MYSQL_PWD='postern_conn_x'\\''y' mariadb --protocol=TCP -h dash.example.com -P 3307 -u 'alice@example.com' --ssl web01`,
    );
    expect(line('SSH')).toMatch(/^ssh -p 2222 -l 'alice@example\.com\+web01' gw\.example\.com /);
    expect(line('KUBERNETES')).toMatch(/^kubectl --server=https:\/\/gw\.example\.com:8444\/k8s\/web01 --token=/);
    expect(line('HTTP')).toBe(
      `curl -H 'Authorization: Bearer postern_conn_x'\\''y' https://gw.example.com:8444/c/web01/`,
    );
  });

  test('without a relay door, placeholders for an agent listener', () => {
    expect(connectionInstructions('SSH', [], minted, 'dash')).toMatch(/^ssh -p <port> -l '.*' <agent host>/);
    expect(connectionInstructions('POSTGRES', [], minted, 'dash')).toContain('host=<agent host> port=<port>');
  });
});
