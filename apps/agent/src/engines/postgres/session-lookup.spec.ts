import { describe, expect, test } from '@jest/globals';
import { backend, BackendParser, frontend, FrontendParser, type Frame } from '@postern/wire-postgres';
import { SessionLookup, type LookupOutcome } from './session-lookup.js';

function frames(messages: Buffer[], from: 'client' | 'target'): Frame[] {
  const out: Frame[] = [];
  const parser = from === 'client' ? new FrontendParser({ phase: 'message' }) : new BackendParser();
  parser.parse(Buffer.concat(messages), (f) => out.push(f));
  return out;
}

/** A lookup with what it wrote to the target, decoded. */
function setup() {
  const written: Frame[] = [];
  const lookup = new SessionLookup((bytes) => written.push(...frames([bytes], 'client')));
  const forward = (...messages: Buffer[]): void => frames(messages, 'client').forEach((f) => lookup.forwarded(f));
  /** Target frames through the lookup: which of them the client would see. */
  const answer = (...messages: Buffer[]): string =>
    frames(messages, 'target')
      .filter((f) => !lookup.fromTarget(f))
      .map((f) => String.fromCharCode(f.code))
      .join('');
  const sent = (): string => written.map((f) => String.fromCharCode(f.code)).join('');
  return { lookup, forward, answer, sent };
}

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function track(promise: Promise<LookupOutcome>): { outcome: LookupOutcome | null } {
  const box: { outcome: LookupOutcome | null } = { outcome: null };
  void promise.then((outcome) => (box.outcome = outcome));
  return box;
}

const lookupAnswer = [
  backend.parseComplete(),
  backend.bindComplete(),
  backend.dataRow([Buffer.from('public'), null]),
  backend.commandComplete('SELECT 1'),
  backend.closeComplete(),
  backend.closeComplete(),
];

describe('SessionLookup', () => {
  test('between pipelines: waits for every ReadyForQuery owed, then runs with a Sync the client never sees', async () => {
    const { lookup, forward, answer, sent } = setup();
    forward(frontend.query('SELECT 1'));
    const result = track(lookup.run('SELECT 2', 'query'));
    await settled();
    expect(sent()).toBe('');
    expect(answer(backend.rowDescription([{ name: 'x' }]), backend.readyForQuery('I'))).toBe('TZ');
    await settled();
    expect(sent()).toBe('PBECCS');
    expect(answer(...lookupAnswer, backend.noticeResponse({ severity: 'NOTICE', code: '00000', message: 'n' }))).toBe(
      'N',
    );
    expect(result.outcome).toBeNull();
    expect(answer(backend.readyForQuery('T'))).toBe('');
    await settled();
    expect(result.outcome).toEqual({ kind: 'rows', rows: [['public', null]] });
  });

  test('inside a pipeline: ends with a Flush, and its answers are the ones after the pipeline’s', async () => {
    const { lookup, forward, answer, sent } = setup();
    forward(frontend.parse({ sql: 'SELECT 1' }), frontend.bind(), frontend.describe('P'), frontend.execute());
    const result = track(lookup.run('SELECT 2', 'execute'));
    await settled();
    expect(sent()).toBe('PBECCH');
    const client = [
      backend.parseComplete(),
      backend.bindComplete(),
      backend.rowDescription([{ name: 'x' }]),
      backend.dataRow([Buffer.from('1')]),
      backend.commandComplete('SELECT 1'),
    ];
    expect(answer(...client, ...lookupAnswer)).toBe('12TDC');
    await settled();
    expect(result.outcome).toEqual({ kind: 'rows', rows: [['public', null]] });
  });

  test('an earlier failure in the pipeline: the server skips the lookup, which says so', async () => {
    const { lookup, forward, answer } = setup();
    forward(frontend.parse({ sql: 'SELECT 1/0' }), frontend.bind(), frontend.execute());
    const result = track(lookup.run('SELECT 2', 'execute'));
    await settled();
    expect(
      answer(backend.parseComplete(), backend.errorResponse({ severity: 'ERROR', code: '22012', message: 'division' })),
    ).toBe('1E');
    await settled();
    expect(result.outcome).toEqual({ kind: 'pipeline-failed' });
  });

  test('a failed transaction: nothing is sent', async () => {
    const { lookup, forward, answer, sent } = setup();
    forward(frontend.query('SELECT 1/0'));
    answer(
      backend.errorResponse({ severity: 'ERROR', code: '22012', message: 'division' }),
      backend.readyForQuery('E'),
    );
    expect(await lookup.run('SELECT 2', 'query')).toEqual({ kind: 'failed-transaction' });
    expect(sent()).toBe('');
  });

  test('the lookup’s own error reaches the client, with its ReadyForQuery, in the statement’s place', async () => {
    const { lookup, answer } = setup();
    const result = track(lookup.run('SELECT 2', 'query'));
    await settled();
    const cancelled = backend.errorResponse({ severity: 'ERROR', code: '57014', message: 'canceling statement' });
    expect(answer(backend.parseComplete(), backend.bindComplete(), cancelled, backend.readyForQuery('I'))).toBe('EZ');
    await settled();
    expect(result.outcome).toEqual({ kind: 'failed' });
  });
});
