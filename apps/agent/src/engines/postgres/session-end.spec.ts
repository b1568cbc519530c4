import { describe, expect, test } from '@jest/globals';
import { BackendParser, decodeErrorResponse, type Frame } from '@postern/wire-postgres';
import { endForAbort } from '../common/session-end.js';
import { SessionAbortError } from '../engine.js';
import { fatalResponse, type ClientFatal } from './session-end.js';

function fields(bytes: Buffer): Record<string, string> {
  const frames: Frame[] = [];
  new BackendParser().parse(bytes, (f) => frames.push(f));
  return decodeErrorResponse(frames[0]!).fields as Record<string, string>;
}

describe('PostgreSQL renders the kit’s neutral session ends', () => {
  test.each([
    ['protocol_violation', '08P01'],
    ['message_too_large', '54000'],
    ['out_of_memory', '53200'],
    ['connection_lost', '08006'],
    ['administrator_shutdown', '57P01'],
    ['timeout', '57014'],
    ['internal', 'XX000'],
  ] as const)('%s is FATAL %s', (kind, sqlstate) => {
    const rendered = fields(fatalResponse({ kind, message: 'm', detail: 'd' }));
    expect(rendered).toMatchObject({ S: 'FATAL', C: sqlstate, M: 'm', D: 'd' });
  });

  test('an engine’s own SQLSTATE wins over the neutral kind', () => {
    const fatal: ClientFatal = { kind: 'internal', code: '28P01', message: 'password authentication failed' };
    expect(fields(fatalResponse(fatal))['C']).toBe('28P01');
  });

  test('revocation, shutdown and a failed strict recording end as PostgreSQL 57P01', () => {
    const cases: [unknown, string, string][] = [
      [new SessionAbortError('revoked'), 'revoked', 'terminating connection: access revoked'],
      [
        new SessionAbortError('agent_shutdown'),
        'agent_shutdown',
        'terminating connection: the Postern agent is shutting down',
      ],
      [
        new SessionAbortError('recording_failed', 'disk full'),
        'error',
        'terminating connection: the session recording cannot be stored (strict recording)',
      ],
      ['anything else', 'revoked', 'terminating connection: access revoked'],
    ];
    for (const [reason, endReason, message] of cases) {
      const abort = new AbortController();
      abort.abort(reason);
      const end = endForAbort(abort.signal);
      expect(end.reason).toBe(endReason);
      expect(fields(fatalResponse(end.fatal!))).toMatchObject({ C: '57P01', M: message });
    }
  });
});
