import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import { Replay } from './Replay';
import { protocolOf, type RecordedEvent } from './timeline';

const T0 = Date.parse('2026-12-07T10:00:00Z');
let index = 0;
function event(type: string, body: Record<string, unknown>, offsetMs: number): RecordedEvent {
  index += 1;
  return { seq: 0, index, at: new Date(T0 + offsetMs).toISOString(), type, json: JSON.stringify({ type, ...body }) };
}

// What the agent's HTTP engine records (apps/agent/src/engines/http/call.ts): bodies masked,
// secret headers already [redacted].
const EVENTS: RecordedEvent[] = [
  event(
    'session.start',
    { connection: { id: 'c', name: 'orders-api', protocol: 'http' }, principal: { displayName: 'Alice' } },
    0,
  ),
  event(
    'http.request',
    {
      id: 1,
      method: 'GET',
      path: '/users/5',
      status: 200,
      durationMs: 12,
      requestHeaders: { authorization: '[redacted]', accept: 'application/json' },
      responseHeaders: { 'content-type': 'application/json' },
      requestBytes: 0,
      responseBytes: 2048,
      responseBody: '{"id":5,"email":"********"}',
    },
    100,
  ),
  event(
    'http.request',
    {
      id: 2,
      method: 'DELETE',
      path: '/users/5',
      status: 403,
      durationMs: 1,
      requestHeaders: {},
      responseHeaders: {},
      requestBytes: 0,
      responseBytes: 0,
      error: 'Blocked by the guardrail "no user deletes"',
    },
    200,
  ),
  event(
    'http.upgrade',
    {
      id: 3,
      path: '/ws',
      protocol: 'websocket',
      durationMs: 900,
      bytesFromClient: 10,
      bytesFromTarget: 20,
      endedBy: 'client',
    },
    300,
  ),
  event('session.end', { endReason: 'client_closed' }, 1300),
];

describe('HTTP calls replay', () => {
  test('lists every call with method, path, status, duration and sizes', () => {
    expect(protocolOf(EVENTS)).toBe('HTTP');
    render(<Replay protocol="HTTP" events={EVENTS} />);
    const calls = screen.getByRole('region', { name: 'HTTP calls' });
    expect(calls).toHaveTextContent('3 calls · 1 refused or failed');
    const rows = within(calls).getAllByRole('listitem');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent('GET /users/5 200');
    expect(rows[0]).toHaveTextContent('12 ms · 0 B sent · 2.0 KiB received');
    expect(rows[1]).toHaveTextContent('DELETE /users/5 403');
    expect(rows[1]).toHaveTextContent('Blocked by the guardrail "no user deletes"');
    expect(rows[2]).toHaveTextContent('UPGRADE websocket /ws 101');
  });

  test('a call expands to its headers and its masked body', async () => {
    render(<Replay protocol="HTTP" events={EVENTS} />);
    const first = screen.getByText('GET', { selector: 'strong' }).closest('details')!;
    expect(first).not.toHaveAttribute('open');
    await userEvent.click(within(first).getByLabelText('GET /users/5 200'));
    expect(first).toHaveAttribute('open');
    expect(within(first).getByLabelText('Response body')).toHaveTextContent('{"id":5,"email":"********"}');
    expect(first).toHaveTextContent('authorization[redacted]');
  });

  test('a session without calls says so', () => {
    render(<Replay protocol="HTTP" events={EVENTS.filter((e) => !e.type.startsWith('http.'))} />);
    expect(screen.getByText('No HTTP calls recorded.')).toBeInTheDocument();
  });
});
