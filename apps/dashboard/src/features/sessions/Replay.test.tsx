import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import { Replay } from './Replay';
import { decisionCounts, protocolOf, timelineOf, type RecordedEvent } from './timeline';

const T0 = Date.parse('2026-12-07T10:00:00Z');
let index = 0;
function event(type: string, body: Record<string, unknown>, offsetMs: number): RecordedEvent {
  index += 1;
  return { seq: 0, index, at: new Date(T0 + offsetMs).toISOString(), type, json: JSON.stringify({ type, ...body }) };
}

const EVENTS: RecordedEvent[] = [
  event(
    'session.start',
    {
      connection: { id: 'c', name: 'shop', protocol: 'postgres' },
      principal: { displayName: 'Alice Engineer' },
      ingress: 'local',
    },
    0,
  ),
  event('statement', { sql: 'SELECT 1', durationMs: 2, rows: 1, tags: [] }, 100),
  event('decision', { kind: 'rows.masked', decision: 'masked' }, 150),
  event('statement', { sql: "SELECT name FROM customers WHERE email = '***'", durationMs: 3, rows: 1, tags: [] }, 200),
  event('decision', { kind: 'statement.blocked', decision: 'blocked', reason: 'no DROP' }, 300),
  event(
    'statement',
    { sql: 'DROP TABLE customers', durationMs: 1, rows: 0, tags: [], error: { code: '42501', message: 'blocked' } },
    300,
  ),
  event('decision', { kind: 'statement.held', decision: 'held' }, 400),
  event('decision', { kind: 'statement.approved', decision: 'approved' }, 900),
  event('statement', { sql: "UPDATE refunds SET state = 'paid'", durationMs: 520, rows: 1, tags: [] }, 910),
  event(
    'decision',
    {
      kind: 'session.policy_summary',
      decision: 'summary',
      statementsAllowed: 3,
      statementsRefusedByRule: {},
      valuesMaskedByRule: { 'rule-a': 2, 'rule-b': 1 },
    },
    990,
  ),
  event('session.end', { endReason: 'client_closed' }, 1000),
];

describe('statement replay', () => {
  test('timelineOf attaches decisions to the statement they precede and counts them', () => {
    const items = timelineOf(EVENTS);
    const update = items.find((i) => i.kind === 'statement' && i.sql.startsWith('UPDATE'));
    expect(update).toMatchObject({ decisions: ['held', 'approved'], durationMs: 520, rows: 1 });
    expect(decisionCounts(items)).toEqual({
      blocked: 1,
      held: 1,
      approved: 1,
      rejected: 0,
      masked: 1,
      valuesMasked: 3,
    });
    expect(protocolOf(EVENTS)).toBe('POSTGRES');
  });

  test('shows statements with timing, rows, errors, decision counts and masked values as recorded', () => {
    render(<Replay protocol="POSTGRES" events={EVENTS} />);
    const replay = screen.getByRole('region', { name: 'replay' });
    expect(within(replay).getByLabelText('decision counts')).toHaveTextContent(
      '4 statements · 1 blocked · 1 held · 1 approved · 0 rejected · 1 masked · 3 values masked',
    );
    expect(replay).toHaveTextContent("SELECT name FROM customers WHERE email = '***'");
    expect(replay).toHaveTextContent('520 ms · 1 row');
    expect(replay).toHaveTextContent('error 42501: blocked');
    expect(replay).not.toHaveTextContent('@example.com');
  });

  test('seeking: the slider and a click on a row move the position', async () => {
    render(<Replay protocol="POSTGRES" events={EVENTS} />);
    const replay = () => screen.getByRole('region', { name: 'replay' });
    const slider = screen.getByLabelText('Position');
    expect(slider).toHaveAttribute('aria-valuetext', `${EVENTS.length} of ${EVENTS.length} events`);
    fireEvent.change(slider, { target: { value: '2' } });
    expect(slider).toHaveAttribute('aria-valuetext', `2 of ${EVENTS.length} events`);
    const items = screen.getAllByRole('listitem');
    expect(items[1]).toHaveAttribute('aria-current', 'step');
    expect(items[5]).toHaveClass('timeline-future');
    expect(replay()).toHaveTextContent('3 statements allowed, 3 values masked');
    await userEvent.click(within(items[5]!).getByRole('button'));
    expect(slider).toHaveAttribute('aria-valuetext', `6 of ${EVENTS.length} events`);
  });

  test('a protocol without a player says so', () => {
    render(<Replay protocol="REDIS" events={[]} />);
    expect(screen.getByText('No player for REDIS recordings yet.')).toBeInTheDocument();
  });
});
