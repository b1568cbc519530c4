import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  Capability,
  decodeAuthMoreData,
  decodeAuthSwitchRequest,
  decodeBinaryRow,
  decodeClientHandshake,
  decodeColumnCount,
  decodeColumnDefinition,
  decodeCommand,
  decodeEof,
  decodeErr,
  decodeHandshakeV10,
  decodeOk,
  decodeSessionState,
  decodeStmtPrepareOk,
  decodeTextRow,
  encodeAuthMoreData,
  encodeAuthSwitchRequest,
  encodeBinaryRow,
  encodeColumnCount,
  encodeColumnDefinition,
  encodeCommand,
  encodeEof,
  encodeErr,
  encodeHandshakeResponse41,
  encodeHandshakeV10,
  encodeOk,
  encodeSessionState,
  encodeSslRequest,
  encodeStmtPrepareOk,
  encodeTextRow,
  MariaDbCapability,
  packet,
  PacketReader,
  ServerStatus,
  SessionTrack,
} from './index.js';
import {
  binaryRow,
  bytes,
  capabilities,
  columnDefinition,
  command,
  handshakeResponse41,
  handshakeV10,
  noNul,
  str,
  textRow,
} from '../test/arbitraries.js';
import { splitAt } from '../test/bytes.js';
import { readAtEveryOffset } from '../test/fixtures.js';

/**
 * Frames `payload` with a random sequence id, reads it back split at every offset, and returns
 * the payload the reader produced (so every decode below runs on bytes that went through framing).
 */
function throughFraming(payload: Buffer, sequenceId = 3): Buffer {
  const [message, ...rest] = readAtEveryOffset(packet(payload, sequenceId));
  expect(rest).toHaveLength(0);
  expect(message!.sequenceId).toBe(sequenceId);
  return message!.payload;
}

const u16 = fc.integer({ min: 0, max: 0xffff });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

describe('decode(encode(m)) = m, through the packet reader split at every offset', () => {
  test('HandshakeV10', () => {
    fc.assert(
      fc.property(handshakeV10, (message) => {
        expect(decodeHandshakeV10(throughFraming(encodeHandshakeV10(message), 0))).toEqual(message);
      }),
      { numRuns: 100 },
    );
  });

  test('HandshakeResponse41 and SSLRequest', () => {
    fc.assert(
      fc.property(handshakeResponse41, (message) => {
        const decoded = decodeClientHandshake(throughFraming(encodeHandshakeResponse41(message), 1));
        if (decoded.type === 'SslRequest') {
          // A response of exactly 32 bytes cannot exist: the username's NUL makes it at least 33.
          throw new Error('a HandshakeResponse41 was read as an SSLRequest');
        }
        expect(decoded.message).toEqual(message);
        const { capabilityFlags, mariaDbCapabilityFlags, maxPacketSize, characterSet } = message;
        const ssl = decodeClientHandshake(
          throughFraming(encodeSslRequest({ capabilityFlags, mariaDbCapabilityFlags, maxPacketSize, characterSet }), 1),
        );
        expect(ssl).toEqual({
          type: 'SslRequest',
          message: {
            capabilityFlags: (capabilityFlags | Capability.SSL) >>> 0,
            mariaDbCapabilityFlags,
            maxPacketSize,
            characterSet,
          },
        });
      }),
      { numRuns: 100 },
    );
  });

  test('OK (both headers, session state) and EOF', () => {
    const ok = fc.record({
      header: fc.constantFrom(0x00 as const, 0xfe as const),
      affectedRows: u64,
      lastInsertId: u64,
      statusFlags: u16.map((f) => f & ~ServerStatus.SESSION_STATE_CHANGED),
      warnings: u16,
      info: str,
      sessionState: fc.option(bytes(), { nil: undefined }),
    });
    fc.assert(
      fc.property(ok, capabilities, (message, caps) => {
        const tracking = (caps.flags & Capability.SESSION_TRACK) !== 0;
        const expected = { ...message };
        if (!tracking || message.sessionState === undefined) delete expected.sessionState;
        else expected.statusFlags |= ServerStatus.SESSION_STATE_CHANGED;
        expect(decodeOk(throughFraming(encodeOk(message, caps)), caps)).toEqual(expected);
        const eof = { warnings: message.warnings, statusFlags: message.statusFlags };
        expect(decodeEof(throughFraming(encodeEof(eof, caps)), caps)).toEqual(eof);
      }),
      { numRuns: 200 },
    );
  });

  test('ERR', () => {
    const err = fc.record({
      code: u16,
      sqlState: fc.option(fc.stringMatching(/^[0-9A-Z]{5}$/), { nil: undefined }),
      message: str,
    });
    fc.assert(
      fc.property(err, (message) => {
        fc.pre(message.sqlState !== undefined || !message.message.startsWith('#'));
        const payload = encodeErr({ ...message, sqlState: message.sqlState ?? null });
        const expected = message.sqlState === undefined ? { code: message.code, message: message.message } : message;
        expect(decodeErr(throughFraming(payload))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  test('session state entries', () => {
    const change = fc.oneof(
      fc.record({ type: fc.constant(SessionTrack.SYSTEM_VARIABLES), name: str, value: str }),
      fc.record({ type: fc.constant(SessionTrack.SCHEMA), schema: str }),
      fc.record({ type: fc.constantFrom(2, 3, 4, 5), data: bytes() }),
    );
    fc.assert(
      fc.property(fc.array(change, { maxLength: 5 }), (changes) => {
        expect(decodeSessionState(encodeSessionState(changes))).toEqual(changes);
      }),
    );
  });

  test('AuthSwitchRequest and AuthMoreData', () => {
    fc.assert(
      fc.property(noNul, bytes(), (pluginName, pluginData) => {
        const request = { pluginName, pluginData };
        expect(decodeAuthSwitchRequest(throughFraming(encodeAuthSwitchRequest(request), 2))).toEqual(request);
        expect(decodeAuthMoreData(throughFraming(encodeAuthMoreData(pluginData), 2))).toEqual(pluginData);
      }),
      { numRuns: 100 },
    );
  });

  test('column count, column definitions and COM_STMT_PREPARE_OK', () => {
    fc.assert(
      fc.property(
        capabilities.chain((caps) => fc.tuple(fc.constant(caps), columnDefinition(caps))),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.boolean(),
        ([caps, column], columnCount, metadataFollows) => {
          expect(decodeColumnDefinition(throughFraming(encodeColumnDefinition(column, caps)), caps)).toEqual(column);
          const cache = ((caps.mariaDbFlags ?? 0) & MariaDbCapability.CACHE_METADATA) !== 0;
          const count = { columnCount, metadataFollows: cache ? metadataFollows : true };
          expect(decodeColumnCount(throughFraming(encodeColumnCount(count, caps)), caps)).toEqual(count);
        },
      ),
      { numRuns: 100 },
    );
    const prepareOk = fc.record(
      {
        statementId: fc.integer({ min: 0, max: 0xffff_ffff }),
        columnCount: u16,
        paramCount: u16,
        warnings: u16,
        metadataFollows: fc.boolean(),
      },
      { requiredKeys: ['statementId', 'columnCount', 'paramCount', 'warnings'] },
    );
    fc.assert(
      fc.property(prepareOk, (ok) => {
        expect(decodeStmtPrepareOk(throughFraming(encodeStmtPrepareOk(ok), 1))).toEqual(ok);
      }),
    );
  });

  test('text rows', () => {
    fc.assert(
      fc.property(textRow, (cells) => {
        expect(decodeTextRow(throughFraming(encodeTextRow(cells)), cells.length)).toEqual(cells);
      }),
      { numRuns: 100 },
    );
  });

  test('binary rows', () => {
    fc.assert(
      fc.property(binaryRow, ({ columns, values }) => {
        expect(decodeBinaryRow(throughFraming(encodeBinaryRow(values, columns)), columns)).toEqual(values);
      }),
      { numRuns: 100 },
    );
  });

  test('commands', () => {
    fc.assert(
      fc.property(command, ([message, caps]) => {
        const payload = throughFraming(encodeCommand(message, caps), 0);
        const paramCount = message.type === 'StmtExecute' ? message.params.length : 0;
        expect(decodeCommand(payload, caps, () => ({ paramCount }))).toEqual(message);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sequences of messages survive arbitrary chunking', () => {
  test('commands back to back', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (commands, rawCuts) => {
        const wire = Buffer.concat(commands.map(([message, caps], i) => packet(encodeCommand(message, caps), i)));
        const payloads: Buffer[] = [];
        const reader = new PacketReader();
        for (const chunk of splitAt(
          wire,
          rawCuts.map((cut) => cut % (wire.length + 1)),
        )) {
          reader.parse(chunk, (m) => payloads.push(m.payload));
        }
        expect(reader.bufferedBytes).toBe(0);
        expect(
          payloads.map((p, i) => decodeCommand(p, commands[i]![1], () => ({ paramCount: countOf(commands[i]![0]) }))),
        ).toEqual(commands.map(([message]) => message));
      }),
      { numRuns: 100 },
    );
  });
});

function countOf(message: ReturnType<typeof decodeCommand>): number {
  return message.type === 'StmtExecute' ? message.params.length : 0;
}
