import { describe, expect, jest, test } from '@jest/globals';
import type { Socket } from 'node:net';
import type { LiveStream } from '../../agents/agent-streams.js';
import type { ControlPlaneConfig } from '../../platform/config/config.js';
import { TunnelBroker } from './tunnel-broker.js';

function setup(tunnelTimeoutMs = 1_000) {
  const broker = new TunnelBroker({ relay: { tunnelTimeoutMs } } as ControlPlaneConfig);
  broker.advertise(':8445');
  const sent: { tunnelId: string; ticket: Buffer; dataAddress: string }[] = [];
  const stream = {
    agentId: 'agent-1',
    send: (message: { openTunnel?: { tunnelId: string; ticket: Buffer; dataAddress: string } }) => {
      if (message.openTunnel) sent.push(message.openTunnel);
    },
  } as unknown as LiveStream;
  const opened = broker.request(stream, { connectionId: 'c1', clientAddress: '10.0.0.1:1', protocol: 'postgres' });
  opened.catch(() => undefined);
  return { broker, opened, request: sent[0]! };
}

const socket = {} as Socket;

describe('tunnel tickets', () => {
  test('OpenTunnel carries a fresh 32-byte ticket and the data address; the right ticket opens the tunnel', async () => {
    const { broker, opened, request } = setup();
    expect(request.ticket).toHaveLength(32);
    expect(request.dataAddress).toBe(':8445');
    const claimed = broker.claim(request.tunnelId, request.ticket)!;
    expect(claimed.agentId).toBe('agent-1');
    claimed.accept(socket);
    await expect(opened).resolves.toBe(socket);
  });

  test('single use: a second claim with the same ticket finds nothing', () => {
    const { broker, request } = setup();
    expect(broker.claim(request.tunnelId, request.ticket)).toBeDefined();
    expect(broker.claim(request.tunnelId, request.ticket)).toBeUndefined();
  });

  test('a wrong ticket spends the tunnel and fails the waiting client (fail closed)', async () => {
    const { broker, opened, request } = setup();
    const wrong = Buffer.from(request.ticket);
    wrong[0] = wrong[0]! ^ 1;
    expect(broker.claim(request.tunnelId, wrong)).toBeUndefined();
    await expect(opened).rejects.toThrow('refused');
    expect(broker.claim(request.tunnelId, request.ticket)).toBeUndefined();
  });

  test('a ticket expires after the tunnel timeout', async () => {
    jest.useFakeTimers();
    try {
      const { broker, opened, request } = setup(500);
      jest.advanceTimersByTime(501);
      await expect(opened).rejects.toThrow('in time');
      expect(broker.claim(request.tunnelId, request.ticket)).toBeUndefined();
      expect(broker.waiting).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  test('no data port, no tunnel', async () => {
    const broker = new TunnelBroker({ relay: { tunnelTimeoutMs: 1_000 } } as ControlPlaneConfig);
    const stream = { agentId: 'a', send: () => undefined } as unknown as LiveStream;
    await expect(
      broker.request(stream, { connectionId: 'c', clientAddress: 'x', protocol: 'postgres' }),
    ).rejects.toThrow('data port');
  });
});
