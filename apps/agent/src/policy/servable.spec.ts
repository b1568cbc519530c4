import { describe, expect, test } from '@jest/globals';
import type { PolicySnapshot__Output } from '@postern/proto';
import { tunnelRefusal, unservableConnections } from './servable.js';

const snapshot = {
  connections: [
    { id: 'pg', name: 'orders', protocol: 'postgres' },
    { id: 'ssh', name: 'bastion', protocol: 'ssh' },
  ],
} as unknown as PolicySnapshot__Output;
const engines = ['postgres'];

describe('what an agent serves', () => {
  test('a tunnel opens only for a connection of the protocol asked, with an engine for it', () => {
    expect(tunnelRefusal(snapshot, { connectionId: 'pg', protocol: 'postgres' }, engines)).toBeNull();
    expect(tunnelRefusal(snapshot, { connectionId: 'ssh', protocol: 'ssh' }, engines)).toBe(
      'no engine for protocol "ssh"',
    );
    expect(tunnelRefusal(snapshot, { connectionId: 'ssh', protocol: 'postgres' }, engines)).toBe(
      'connection is of protocol "ssh", not "postgres"',
    );
    // Not in the policy: the engine refuses the name the client gives, in its protocol.
    expect(tunnelRefusal(snapshot, { connectionId: 'gone', protocol: 'postgres' }, engines)).toBeNull();
    expect(tunnelRefusal(null, { connectionId: 'pg', protocol: 'ssh' }, engines)).toBe('no engine for protocol "ssh"');
  });

  test('connections of protocols without an engine are listed, to be reported', () => {
    expect(unservableConnections(snapshot, engines)).toEqual([{ id: 'ssh', name: 'bastion', protocol: 'ssh' }]);
    expect(unservableConnections(null, engines)).toEqual([]);
  });
});
