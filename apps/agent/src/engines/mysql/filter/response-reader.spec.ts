import { describe, expect, test } from '@jest/globals';
import {
  Capability,
  columnDefinition,
  encodeColumnCount,
  encodeColumnDefinition,
  encodeEof,
  encodeErr,
  encodeOk,
  encodeResultSetEnd,
  encodeStmtPrepareOk,
  encodeTextRow,
  ServerStatus,
  type SessionCapabilities,
} from '@postern/wire-mysql';
import { Part, ResponseReader } from './response-reader.js';

const BASE = Capability.PROTOCOL_41 | Capability.SESSION_TRACK;
const MODERN: SessionCapabilities = { flags: (BASE | Capability.DEPRECATE_EOF) >>> 0 };
const CLASSIC: SessionCapabilities = { flags: BASE };

function resultSet(caps: SessionCapabilities, rows: string[][], statusFlags = ServerStatus.AUTOCOMMIT): Buffer[] {
  const columns = rows[0]!.map((_, i) => encodeColumnDefinition(columnDefinition({ name: `c${i}` }), caps));
  const eofAfterColumns = caps === CLASSIC ? [encodeEof({ warnings: 0, statusFlags }, caps)] : [];
  return [
    encodeColumnCount({ columnCount: columns.length, metadataFollows: true }, caps),
    ...columns,
    ...eofAfterColumns,
    ...rows.map((row) => encodeTextRow(row)),
    encodeResultSetEnd({ warnings: 0, statusFlags }, caps),
  ];
}

function readAll(reader: ResponseReader, payloads: Buffer[]): Part[] {
  return payloads.map((payload) => reader.read(payload));
}

describe('ResponseReader', () => {
  test.each([
    ['DEPRECATE_EOF', MODERN],
    ['classic EOF', CLASSIC],
  ])('a result set (%s): columns complete once, then rows, then its end', (_name, caps) => {
    const reader = new ResponseReader('results', caps);
    const parts = readAll(
      reader,
      resultSet(caps, [
        ['a', 'b'],
        ['c', 'd'],
      ]),
    );
    expect(parts.filter((p) => p === Part.ColumnsComplete)).toHaveLength(1);
    expect(parts.filter((p) => p === Part.Row)).toHaveLength(2);
    expect(parts.indexOf(Part.ColumnsComplete)).toBeLessThan(parts.indexOf(Part.Row));
    expect(reader.done).toBe(true);
    expect(reader.rows).toBe(2);
    expect(reader.columns.map((c) => c.name)).toEqual(['c0', 'c1']);
  });

  test('multi-results go on while MORE_RESULTS_EXISTS is set', () => {
    const reader = new ResponseReader('results', MODERN);
    const more = ServerStatus.AUTOCOMMIT | ServerStatus.MORE_RESULTS_EXISTS;
    readAll(reader, resultSet(MODERN, [['1']], more));
    expect(reader.done).toBe(false);
    reader.read(encodeOk({ affectedRows: 3, statusFlags: more }, MODERN));
    expect(reader.done).toBe(false);
    readAll(reader, resultSet(MODERN, [['2'], ['3']]));
    expect(reader.done).toBe(true);
    expect(reader.rows).toBe(6);
  });

  test('an ERR ends the response, also in the middle of rows', () => {
    const reader = new ResponseReader('results', MODERN);
    const [count, column] = resultSet(MODERN, [['x']]);
    readAll(reader, [count!, column!, encodeTextRow(['x'])]);
    reader.read(encodeErr({ code: 1317, sqlState: '70100', message: 'Query execution was interrupted' }));
    expect(reader.done).toBe(true);
    expect(reader.error).toEqual({ code: '1317/70100', message: 'Query execution was interrupted' });
  });

  test('COM_STMT_PREPARE: PREPARE_OK then its parameter and column definitions', () => {
    const reader = new ResponseReader('prepare', CLASSIC);
    const definition = encodeColumnDefinition(columnDefinition({ name: '?' }), CLASSIC);
    const eof = encodeEof({ warnings: 0, statusFlags: 0 }, CLASSIC);
    reader.read(encodeStmtPrepareOk({ statementId: 9, columnCount: 1, paramCount: 2, warnings: 0 }));
    expect(reader.prepared).toEqual({ statementId: 9, paramCount: 2, columnCount: 1 });
    readAll(reader, [definition, definition, eof, definition]);
    expect(reader.done).toBe(false);
    reader.read(eof);
    expect(reader.done).toBe(true);
  });

  test('a LOCAL INFILE request from the target is refused (the agent never offers LOCAL_FILES)', () => {
    const reader = new ResponseReader('results', MODERN);
    expect(() => reader.read(Buffer.from('\xfb/etc/passwd', 'latin1'))).toThrow(/LOCAL INFILE/);
  });

  test('a packet after the end is a protocol error', () => {
    const reader = new ResponseReader('single', MODERN);
    reader.read(encodeOk({}, MODERN));
    expect(() => reader.read(encodeOk({}, MODERN))).toThrow(/after the end/);
  });
});
