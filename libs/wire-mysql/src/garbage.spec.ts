import { describe, test } from '@jest/globals';
import fc from 'fast-check';
import {
  ColumnType,
  decodeAuthReply,
  decodeBinaryRow,
  decodeClientHandshake,
  decodeColumnCount,
  decodeColumnDefinition,
  decodeCommand,
  decodeEof,
  decodeErr,
  decodeHandshakeV10,
  decodeOk,
  decodeResultSetEnd,
  decodeSessionState,
  decodeStmtExecute,
  decodeStmtPrepareOk,
  decodeTextRow,
  PacketReader,
  rewriteBinaryRow,
  rewriteTextRow,
  scanBinaryRow,
  scanTextRow,
  type SessionCapabilities,
} from './index.js';
import { capabilities } from '../test/arbitraries.js';
import { splitAt } from '../test/bytes.js';
import { tolerate } from '../test/fixtures.js';

// "Garbage never crashes": whatever the peer sends, the reader and every decoder either return
// or throw MySqlProtocolError, never another exception, and always terminate.

const garbage = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const cuts = fc.array(fc.nat(), { maxLength: 8 });
/** Payloads that start with an interesting byte, so decoders get past their first check. */
const payload = fc
  .tuple(
    fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x0a, 0x11, 0x16, 0x17, 0x18, 0x19, 0x1c, 0xfb, 0xfc, 0xfe, 0xff),
    garbage,
  )
  .map(([first, rest]) => Buffer.concat([Buffer.from([first]), rest]));
const types = fc.array(fc.constantFrom(...Object.values(ColumnType)), { maxLength: 12 });

const decoders: [string, (p: Buffer, caps: SessionCapabilities, columnTypes: number[]) => unknown][] = [
  ['HandshakeV10', (p) => decodeHandshakeV10(p)],
  ['client handshake', (p) => decodeClientHandshake(p)],
  ['auth reply', (p, caps) => decodeAuthReply(p, caps)],
  ['OK', (p, caps) => decodeOk(p, caps)],
  ['ERR', (p) => decodeErr(p)],
  ['EOF', (p, caps) => decodeEof(p, caps)],
  ['result-set end', (p, caps) => decodeResultSetEnd(p, caps)],
  ['session state', (p) => decodeSessionState(p)],
  ['column count', (p, caps) => decodeColumnCount(p, caps)],
  ['column definition', (p, caps) => decodeColumnDefinition(p, caps)],
  ['prepare OK', (p) => decodeStmtPrepareOk(p)],
  ['command', (p, caps, t) => decodeCommand(p, caps, () => ({ paramCount: t.length }))],
  [
    'execute with previous types',
    (p, caps, t) =>
      decodeStmtExecute(
        p,
        {
          paramCount: t.length,
          paramTypes: t.map((type) => ({ type, unsigned: false })),
          longDataParams: new Set([1]),
        },
        caps,
      ),
  ],
  ['text row', (p, _caps, t) => decodeTextRow(p, t.length)],
  ['text row with a column count from a hostile server', (p) => decodeTextRow(p, 2 ** 40)],
  ['text row scan with a column count from a hostile server', (p) => scanTextRow(p, 2 ** 40)],
  [
    'binary row',
    (p, _caps, t) =>
      decodeBinaryRow(
        p,
        t.map((type) => ({ type, flags: 0 })),
      ),
  ],
  [
    'text row rewrite',
    (p, _caps, t) => rewriteTextRow(p, scanTextRow(p, t.length), new Map(t.length > 0 ? [[0, 'x']] : []), 1),
  ],
  [
    'binary row rewrite',
    (p, _caps, t) => rewriteBinaryRow(p, scanBinaryRow(p, t), t, new Map(t.length > 0 ? [[0, null]] : []), 1),
  ],
];

describe('PacketReader on arbitrary bytes', () => {
  test('yields messages or a MySqlProtocolError, in any chunking', () => {
    fc.assert(
      fc.property(garbage, cuts, fc.nat(400), (bytes, rawCuts, limit) => {
        const reader = new PacketReader({ maxMessageLength: limit });
        tolerate(() => {
          for (const chunk of splitAt(
            bytes,
            rawCuts.map((c) => c % (bytes.length + 1)),
          ))
            reader.parse(chunk, () => {});
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe.each(decoders)('%s decoder on arbitrary payloads', (_name, decode) => {
  test('returns or throws MySqlProtocolError', () => {
    fc.assert(
      fc.property(payload, capabilities, types, (p, caps, t) => {
        tolerate(() => decode(p, caps, t));
      }),
      { numRuns: 400 },
    );
  });
});
