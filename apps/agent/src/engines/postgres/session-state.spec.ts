import { describe, expect, test } from '@jest/globals';
import { backend, frontend, FrontendParser, BackendParser, type Frame } from '@postern/wire-postgres';
import { PostgresSessionState } from './session-state.js';
import { coalesce } from './proxy.js';
import { CancelRegistry } from './cancel-registry.js';

function frontendFrames(...messages: Buffer[]): Frame[] {
  const frames: Frame[] = [];
  new FrontendParser({ phase: 'message' }).parse(Buffer.concat(messages), (f) => frames.push(f));
  return frames;
}

function backendFrame(message: Buffer): Frame {
  const frames: Frame[] = [];
  new BackendParser().parse(message, (f) => frames.push(f));
  return frames[0]!;
}

describe('PostgresSessionState', () => {
  test('counts statements and follows the transaction status', () => {
    const state = new PostgresSessionState();
    for (const frame of frontendFrames(
      frontend.parse({ name: 'by_id', sql: 'select * from t where id = $1' }),
      frontend.bind({ portal: 'p1', statement: 'by_id', params: [Buffer.from('1')] }),
      frontend.execute('p1'),
      frontend.sync(),
      frontend.query('begin'),
    )) {
      state.observeFrontend(frame);
    }
    expect(state.statementCount).toBe(2);
    state.observeBackend(backendFrame(backend.readyForQuery('T')));
    expect(state.transactionStatus).toBe('T');
    state.observeBackend(backendFrame(backend.readyForQuery('I')));
    expect(state.transactionStatus).toBe('I');
  });
});

describe('coalesce', () => {
  test('merges adjacent views of one chunk and keeps separate buffers apart', () => {
    const chunk = Buffer.from('aaabbbccc');
    const other = Buffer.from('ddd');
    const segments = coalesce([chunk.subarray(0, 3), chunk.subarray(3, 6), other, chunk.subarray(6, 9)]);
    expect(segments.map((s) => s.toString())).toEqual(['aaabbb', 'ddd', 'ccc']);
    expect(segments[0]!.buffer).toBe(chunk.buffer);
  });
});

describe('CancelRegistry', () => {
  const endpoint = { host: 'db', port: 5432, tlsMode: 'disable' as const, ca: null };

  test('finds a key it issued until it is released, and nothing else', () => {
    const registry = new CancelRegistry();
    const target = { endpoint, processId: 4242, secretKey: Buffer.from([1, 2, 3, 4]) };
    const issued = registry.issue(target);
    expect(issued.processId).not.toBe(4242);
    expect(registry.lookup(issued.processId, issued.secretKey)).toBe(target);
    const wrong = Buffer.from(issued.secretKey);
    wrong[0] = wrong[0]! ^ 0xff;
    expect(registry.lookup(issued.processId, wrong)).toBeUndefined();
    expect(registry.lookup(issued.processId, Buffer.alloc(8))).toBeUndefined();
    issued.release();
    expect(registry.lookup(issued.processId, issued.secretKey)).toBeUndefined();
    expect(registry.size).toBe(0);
  });
});
