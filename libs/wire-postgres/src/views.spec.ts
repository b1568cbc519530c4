import { describe, expect, test } from '@jest/globals';
import { BackendParser } from './backend-parser.js';
import { backend, errorResponse } from './backend-serializers.js';
import { BackendCode } from './codes.js';
import type { Frame } from './frame.js';
import { FrontendParser } from './frontend-parser.js';
import { frontend } from './frontend-serializers.js';
import {
  bindHead,
  commandTag,
  copyDataPayload,
  MessageLayoutError,
  describeTarget,
  errorCodeAndMessage,
  executePortal,
  parseHead,
  querySql,
  sealMessage,
  walkDataRow,
} from './views.js';

function clientFrame(bytes: Buffer): Frame {
  const frames: Frame[] = [];
  new FrontendParser({ phase: 'message' }).parse(bytes, (f) => frames.push(f));
  return frames[0]!;
}

function serverFrame(bytes: Buffer): Frame {
  const frames: Frame[] = [];
  new BackendParser().parse(bytes, (f) => frames.push(f));
  return frames[0]!;
}

describe('views of client messages', () => {
  test('read what the serializers wrote', () => {
    expect(querySql(clientFrame(frontend.query('select 1')))).toBe('select 1');
    expect(parseHead(clientFrame(frontend.parse({ name: 's1', sql: 'select $1', paramTypes: [23] })))).toEqual({
      name: 's1',
      sql: 'select $1',
    });
    expect(describeTarget(clientFrame(frontend.describe('S', 's1')))).toEqual({ target: 'statement', name: 's1' });
    expect(describeTarget(clientFrame(frontend.close('P', 'p1')))).toEqual({ target: 'portal', name: 'p1' });
    expect(executePortal(clientFrame(frontend.execute('p1', 10)))).toBe('p1');
    const bind = frontend.bind({
      portal: 'p1',
      statement: 's1',
      paramFormats: [0, 1],
      params: [Buffer.from('a long text value'), Buffer.from([1, 2, 3]), null].slice(0, 2),
      resultFormats: [1],
    });
    expect(bindHead(clientFrame(bind), 6)).toEqual({
      portal: 'p1',
      statement: 's1',
      resultFormats: [1],
      params: ['a long', '<binary, 3 bytes>'],
    });
  });

  test('a truncated Bind yields what could be read, never throws', () => {
    const bind = frontend.bind({ portal: 'p', statement: 's', params: [Buffer.from('x')], resultFormats: [1] });
    const frame = clientFrame(bind);
    const cut = { ...frame, body: frame.body.subarray(0, frame.body.length - 4) } as Frame;
    expect(bindHead(cut, 100)).toMatchObject({ portal: 'p', statement: 's', resultFormats: [] });
  });

  test('server messages: tags and errors', () => {
    expect(commandTag(serverFrame(backend.commandComplete('SELECT 3')))).toBe('SELECT 3');
    expect(errorCodeAndMessage(errorResponse({ severity: 'ERROR', code: '42501', message: 'no' }))).toEqual({
      code: '42501',
      message: 'no',
    });
    expect(errorCodeAndMessage(Buffer.from('garbage'))).toBeNull();
  });
});

describe('byte layouts', () => {
  test('walkDataRow visits non-NULL values in place', () => {
    const row = backend.dataRow(['ab', null, 'cde']);
    const seen: string[] = [];
    const n = walkDataRow(row, 3, (column, start, end) => seen.push(`${column}:${row.toString('utf8', start, end)}`));
    expect(n).toBe(3);
    expect(seen).toEqual(['0:ab', '2:cde']);
  });

  test('walkDataRow refuses every malformed layout', () => {
    const row = backend.dataRow(['ab']);
    expect(() => walkDataRow(row, 2, () => undefined)).toThrow(MessageLayoutError);
    const overrun = Buffer.from(row);
    overrun.writeInt32BE(99, 7);
    expect(() => walkDataRow(overrun, 1, () => undefined)).toThrow(/overruns/);
    expect(() => walkDataRow(Buffer.concat([row, Buffer.from([0])]), 1, () => undefined)).toThrow(/length/);
    for (let cut = 0; cut < row.length; cut++) {
      expect(() => walkDataRow(row.subarray(0, cut), 1, () => undefined)).toThrow(MessageLayoutError);
    }
  });

  test('CopyData payload and a sealed rebuilt message round-trip', () => {
    const message = backend.copyData(Buffer.from('1\tx\n'));
    expect(copyDataPayload(message).toString()).toBe('1\tx\n');
    const rebuilt = Buffer.alloc(5 + 4);
    Buffer.from('2\ty\n').copy(rebuilt, 5);
    expect(sealMessage(rebuilt, BackendCode.CopyData)).toEqual(backend.copyData(Buffer.from('2\ty\n')));
    expect(() => copyDataPayload(backend.copyDone())).toThrow(MessageLayoutError);
    expect(() => copyDataPayload(message.subarray(0, message.length - 1))).toThrow(/length/);
  });
});
