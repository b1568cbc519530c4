import { describe, expect, test } from '@jest/globals';
import { castLines, terminalRecordings, type RecordedEvent } from './asciicast.js';

const at = 1_765_000_000_000;
const event = (type: string, body: Record<string, unknown>): RecordedEvent => ({ type, at, body });

describe('terminal recordings as asciicast v2', () => {
  const events = [
    event('session.start', {}),
    event('ssh.channel', {
      channel: 0,
      kind: 'shell',
      asciicast: { version: 2, width: 80, height: 24, timestamp: 1_765_000_000, env: { TERM: 'xterm' } },
    }),
    event('ssh.channel', { channel: 1, kind: 'subsystem', command: 'sftp' }),
    event('ssh.output', { channel: 0, event: [0.1, 'o', '$ '] }),
    event('ssh.sftp', { channel: 1, op: 'read', path: '/etc/hosts', status: 'ok' }),
    event('ssh.output', { channel: 0, event: [0.5, 'r', '100x30'] }),
    event('ssh.output', { channel: 0, event: [1.25, 'o', 'ls\r\n'] }),
    event('kubernetes.exec', {
      stream: 3,
      subresource: 'exec',
      namespace: 'prod',
      pod: 'web-1',
      command: ['sh', '-c', 'id'],
      tty: false,
      protocol: 'v5.channel.k8s.io',
      asciicast: { version: 2, width: 80, height: 24, timestamp: 1_765_000_001 },
    }),
    event('kubernetes.exec.output', { stream: 3, event: [0.01, 'i', 'x'] }),
    event('kubernetes.exec.output', { stream: 3, event: [0.02, 'o', 'uid=0\n'], stderr: false }),
  ];

  test('each shell, exec channel and exec stream is one playable terminal; sftp is not a terminal', () => {
    const terminals = terminalRecordings(events);
    expect(terminals.map((t) => [t.key, t.title, t.events.length])).toEqual([
      ['ssh:0', 'shell', 3],
      ['kubernetes:3', 'exec prod/web-1: sh -c id', 2],
    ]);
  });

  test('the .cast file is the header with a title, then the events in recording order', () => {
    const [shell] = terminalRecordings(events);
    const lines = castLines(shell!).map((line) => JSON.parse(line) as unknown);
    expect(lines[0]).toEqual({
      version: 2,
      width: 80,
      height: 24,
      timestamp: 1_765_000_000,
      env: { TERM: 'xterm' },
      title: 'shell',
    });
    expect(lines.slice(1)).toEqual([
      [0.1, 'o', '$ '],
      [0.5, 'r', '100x30'],
      [1.25, 'o', 'ls\r\n'],
    ]);
  });

  test('malformed events are skipped, not thrown on', () => {
    const odd = [event('ssh.output', { channel: 9, event: 'nope' }), event('ssh.channel', { channel: 9 })];
    expect(terminalRecordings(odd)).toEqual([]);
  });

  test('a channel stored by an agent before session 8 (its kind had replaced the event type) still plays', () => {
    // What such an agent stored: the line `{"type":"ssh.channel",…,"type":"exec",…}` reads as type "exec".
    const stored = [
      event('exec', {
        channel: 2,
        type: 'exec',
        command: 'uptime',
        asciicast: { version: 2, width: 80, height: 24, timestamp: 1_765_000_000 },
      }),
      event('ssh.output', { channel: 2, event: [0.2, 'o', 'up 3 days\n'] }),
    ];
    expect(terminalRecordings(stored).map((t) => [t.key, t.title, t.events])).toEqual([
      ['ssh:2', 'exec: uptime', [[0.2, 'o', 'up 3 days\n']]],
    ]);
  });
});
