import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import { Replay } from './Replay';
import type { RecordedEvent } from './timeline';

// asciinema-player draws with the browser's layout and fonts, which jsdom has not: it stands in
// here as a recorder of what it was given (the cast text), which is what this component owns.
const created: { data: string; dispose: ReturnType<typeof vi.fn> }[] = [];
vi.mock('asciinema-player', () => ({
  create: (source: { data: string }) => {
    const player = { data: source.data, dispose: vi.fn() };
    created.push(player);
    return player;
  },
}));

let index = 0;
function event(type: string, body: Record<string, unknown>): RecordedEvent {
  index += 1;
  return { seq: 0, index, at: '2026-12-07T10:00:00.000Z', type, json: JSON.stringify(body) };
}

const header = { version: 2, width: 80, height: 24, timestamp: 1_765_000_000 };
const SSH_EVENTS = [
  event('session.start', { connection: { name: 'web01', protocol: 'ssh' } }),
  event('ssh.channel', { channel: 0, kind: 'shell', asciicast: header }),
  event('ssh.output', { channel: 0, event: [0.2, 'o', 'alice@web01:~$ '] }),
  event('ssh.channel', { channel: 1, kind: 'exec', command: 'uptime', asciicast: header }),
  event('ssh.output', { channel: 1, event: [0.1, 'o', ' 10:00 up 3 days\r\n'] }),
  event('ssh.output', { channel: 0, event: [1.5, 'o', 'ls\r\n'] }),
  event('ssh.channel.end', { channel: 1, exitStatus: 0 }),
];

describe('terminal replay (SSH and Kubernetes recordings)', () => {
  test('an SSH session plays its first terminal as asciicast v2 in the player; another can be chosen', async () => {
    created.length = 0;
    render(<Replay protocol="SSH" events={SSH_EVENTS} />);
    await waitFor(() => expect(created).toHaveLength(1));
    const lines = created[0]!.data.split('\n').map((line) => JSON.parse(line) as unknown);
    expect(lines).toEqual([{ ...header, title: 'shell' }, [0.2, 'o', 'alice@web01:~$ '], [1.5, 'o', 'ls\r\n']]);
    expect(screen.getByLabelText('terminal summary')).toHaveTextContent('2 output events · 1.5 s');

    await userEvent.selectOptions(screen.getByLabelText('Terminal'), 'exec: uptime');
    await waitFor(() => expect(created).toHaveLength(2));
    expect(created[0]!.dispose).toHaveBeenCalled();
    expect(created[1]!.data.split('\n')[1]).toBe(JSON.stringify([0.1, 'o', ' 10:00 up 3 days\r\n']));
  });

  test('a Kubernetes exec stream plays too; a session without a terminal says so', async () => {
    created.length = 0;
    const { unmount } = render(
      <Replay
        protocol="KUBERNETES"
        events={[
          event('kubernetes.exec', {
            stream: 2,
            subresource: 'exec',
            namespace: 'prod',
            pod: 'web-1',
            command: ['sh'],
            asciicast: header,
          }),
          event('kubernetes.exec.output', { stream: 2, event: [0.3, 'o', '# '] }),
        ]}
      />,
    );
    expect(screen.getByText('exec prod/web-1: sh')).toBeInTheDocument();
    await waitFor(() => expect(created).toHaveLength(1));
    unmount();
    render(
      <Replay protocol="SSH" events={[event('ssh.channel', { channel: 0, kind: 'subsystem', command: 'sftp' })]} />,
    );
    expect(screen.getByText('This session recorded no terminal (shell or exec).')).toBeInTheDocument();
  });
});
