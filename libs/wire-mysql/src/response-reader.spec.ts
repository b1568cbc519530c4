import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  Capability,
  columnDefinition,
  ColumnType,
  encodeBinaryRow,
  encodeColumnCount,
  encodeColumnDefinition,
  encodeEof,
  encodeErr,
  encodeOk,
  encodeResultSetEnd,
  encodeStmtPrepareOk,
  encodeTextRow,
  MariaDbCapability,
  type ResponseEvent,
  ResponseReader,
  ServerStatus,
  type SessionCapabilities,
} from './index.js';
import { capabilities } from '../test/arbitraries.js';
import { failure, tolerate } from '../test/fixtures.js';

const classic: SessionCapabilities = { flags: Capability.PROTOCOL_41 };
const modern: SessionCapabilities = { flags: Capability.PROTOCOL_41 | Capability.DEPRECATE_EOF };
const name = columnDefinition({ name: 'name', orgName: 'name', orgTable: 'people' });
const age = columnDefinition({ name: 'age', type: ColumnType.LONG });

/** The server's side of a text result set, in the session's EOF mode. */
function textResult(caps: SessionCapabilities, rows: (string | null)[][], status = ServerStatus.AUTOCOMMIT): Buffer[] {
  const classicEof = (caps.flags & Capability.DEPRECATE_EOF) === 0;
  return [
    encodeColumnCount({ columnCount: 2, metadataFollows: true }, caps),
    encodeColumnDefinition(name, caps),
    encodeColumnDefinition(age, caps),
    ...(classicEof ? [encodeEof({ warnings: 0, statusFlags: status }, caps)] : []),
    ...rows.map((row) => encodeTextRow(row)),
    encodeResultSetEnd({ warnings: 0, statusFlags: status }, caps),
  ];
}

function run(reader: ResponseReader, payloads: Buffer[]): ResponseEvent[] {
  const events = payloads.map((payload) => reader.next(payload));
  expect(reader.done).toBe(true);
  return events;
}

describe.each([
  ['classic EOF', classic],
  ['CLIENT_DEPRECATE_EOF', modern],
])('ResponseReader (%s)', (_mode, caps) => {
  const eofs = (caps.flags & Capability.DEPRECATE_EOF) === 0;

  test('a text result set: definitions, rows with their columns, the end', () => {
    const reader = new ResponseReader(caps);
    reader.expect({ command: 'query' });
    const events = run(
      reader,
      textResult(caps, [
        ['ann', '31'],
        [null, null],
      ]),
    );
    expect(events.map((e) => e.type)).toEqual([
      'result-set',
      'column',
      'column',
      ...(eofs ? ['columns-end'] : []),
      'row',
      'row',
      'result-end',
    ]);
    expect(events.find((e) => e.type === 'row')).toEqual({ type: 'row', format: 'text', columns: [name, age] });
  });

  test('multi-results: OK and result sets chained by MORE_RESULTS_EXISTS', () => {
    const reader = new ResponseReader(caps);
    reader.expect({ command: 'query' });
    const more = ServerStatus.MORE_RESULTS_EXISTS | ServerStatus.AUTOCOMMIT;
    const events = run(reader, [
      ...textResult(caps, [['a', '1']], more),
      encodeOk({ affectedRows: 2, statusFlags: more }, caps),
      ...textResult(caps, []),
    ]);
    expect(events.filter((e) => e.type === 'ok' || e.type === 'result-end').map((e) => 'more' in e && e.more)).toEqual([
      true,
      true,
      false,
    ]);
  });

  test('an ERR in the middle of rows ends the response', () => {
    const reader = new ResponseReader(caps);
    reader.expect({ command: 'query' });
    const payloads = textResult(caps, [['a', '1']]);
    payloads.splice(-1, 1, encodeErr({ code: 1317, sqlState: '70100', message: 'Query execution was interrupted' }));
    expect(run(reader, payloads).at(-1)).toMatchObject({ type: 'err', err: { code: 1317 } });
  });

  test('prepare: OK, parameter and column definitions; none of them when counts are 0', () => {
    const reader = new ResponseReader(caps);
    reader.expect({ command: 'prepare' });
    const eof = encodeEof({ warnings: 0, statusFlags: 2 }, caps);
    const events = run(reader, [
      encodeStmtPrepareOk({ statementId: 1, columnCount: 2, paramCount: 1, warnings: 0 }),
      encodeColumnDefinition(columnDefinition({ name: '?' }), caps),
      ...(eofs ? [eof] : []),
      encodeColumnDefinition(name, caps),
      encodeColumnDefinition(age, caps),
      ...(eofs ? [eof] : []),
    ]);
    expect(events.map((e) => e.type)).toEqual([
      'prepare-ok',
      'param',
      ...(eofs ? ['params-end'] : []),
      'column',
      'column',
      ...(eofs ? ['columns-end'] : []),
    ]);
    expect(reader.currentColumns).toEqual([name, age]);

    reader.expect({ command: 'prepare' });
    expect(
      run(reader, [encodeStmtPrepareOk({ statementId: 2, columnCount: 0, paramCount: 0, warnings: 0 })]),
    ).toHaveLength(1);
    reader.expect({ command: 'prepare' });
    expect(run(reader, [encodeErr({ code: 1064, message: 'syntax' })])[0]!.type).toBe('err');
  });

  test('execute: binary rows; fetch: rows of an open cursor', () => {
    const reader = new ResponseReader(caps);
    reader.expect({ command: 'execute' });
    const row = encodeBinaryRow(['ann', 31], [name, age]);
    const payloads = textResult(caps, []);
    payloads.splice(-1, 0, row);
    expect(run(reader, payloads).find((e) => e.type === 'row')).toMatchObject({ format: 'binary' });
    reader.expect({ command: 'fetch', columns: [name, age] });
    const end = encodeResultSetEnd(
      { warnings: 0, statusFlags: ServerStatus.CURSOR_EXISTS | ServerStatus.LAST_ROW_SENT },
      caps,
    );
    expect(run(reader, [row, row, end]).map((e) => e.type)).toEqual(['row', 'row', 'result-end']);
  });

  test('simple commands: OK, ERR or (SET_OPTION) EOF; anything else is refused', () => {
    const reader = new ResponseReader(caps);
    reader.expect({ command: 'simple' });
    expect(run(reader, [encodeOk({}, caps)])[0]!.type).toBe('ok');
    reader.expect({ command: 'simple' });
    expect(run(reader, [encodeEof({ warnings: 0, statusFlags: 2 }, { flags: Capability.PROTOCOL_41 })])[0]!.type).toBe(
      'eof',
    );
    reader.expect({ command: 'simple' });
    expect(failure(() => reader.next(Buffer.from([1]))).code).toBe('UNEXPECTED_MESSAGE');
  });

  test('a packet outside any response, or a command before the response ended, is refused', () => {
    const reader = new ResponseReader(caps);
    expect(failure(() => reader.next(encodeOk({}, caps))).code).toBe('UNEXPECTED_MESSAGE');
    reader.expect({ command: 'query' });
    reader.next(encodeColumnCount({ columnCount: 1, metadataFollows: true }, caps));
    expect(failure(() => reader.expect({ command: 'query' })).code).toBe('UNEXPECTED_MESSAGE');
  });
});

test('CACHE_METADATA: definitions left out are taken from the prepare, and required', () => {
  const caps = { flags: Capability.PROTOCOL_41, mariaDbFlags: MariaDbCapability.CACHE_METADATA };
  const reader = new ResponseReader(caps);
  reader.expect({ command: 'execute', columns: [name, age] });
  const events = run(reader, [
    encodeColumnCount({ columnCount: 2, metadataFollows: false }, caps),
    encodeBinaryRow(['x', 1], [name, age]),
    encodeEof({ warnings: 0, statusFlags: 2 }, caps),
  ]);
  expect(events[1]).toEqual({ type: 'row', format: 'binary', columns: [name, age] });
  reader.expect({ command: 'execute' });
  expect(failure(() => reader.next(encodeColumnCount({ columnCount: 2, metadataFollows: false }, caps))).code).toBe(
    'UNEXPECTED_MESSAGE',
  );
});

test('garbage: the reader returns events or throws MySqlProtocolError', () => {
  const commands = ['query', 'execute', 'prepare', 'simple', 'statistics'] as const;
  fc.assert(
    fc.property(
      capabilities,
      fc.constantFrom(...commands),
      fc.array(
        fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
        { maxLength: 10 },
      ),
      (caps, command, payloads) => {
        const reader = new ResponseReader(caps);
        reader.expect({ command });
        tolerate(() => {
          for (const payload of payloads) reader.next(payload);
        });
      },
    ),
    { numRuns: 500 },
  );
});
