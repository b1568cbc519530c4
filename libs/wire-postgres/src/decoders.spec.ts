import { describe, expect, test } from '@jest/globals';
import {
  BackendParser,
  decodeAuthentication,
  decodeBackend,
  decodeBackendKeyData,
  decodeBind,
  decodeCancelRequest,
  decodeClose,
  decodeCommandComplete,
  decodeCopyInResponse,
  decodeDataRow,
  decodeDescribe,
  decodeErrorResponse,
  decodeExecute,
  decodeFrontend,
  decodeNegotiateProtocolVersion,
  decodeParse,
  decodeParameterDescription,
  decodeParameterStatus,
  decodePasswordMessage,
  decodeQuery,
  decodeReadyForQuery,
  decodeRowDescription,
  decodeSASLInitialResponse,
  decodeStartupMessage,
  decodeSync,
  effectiveFormat,
  type Frame,
  FrontendParser,
  passwordContextFor,
  ProtocolError,
  type ProtocolErrorCode,
} from './index.js';
import { cstr, field, int16, int32, startup, text, typed, uint32, untyped, value } from '../test/bytes.js';

function frontendFrame(bytes: Buffer): Frame {
  const frames: Frame[] = [];
  const phase = bytes[0]! === 0 ? 'startup' : 'message';
  new FrontendParser({ phase }).parse(bytes, (frame) => frames.push(frame));
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

function backendFrame(bytes: Buffer): Frame {
  const frames: Frame[] = [];
  new BackendParser().parse(bytes, (frame) => frames.push(frame));
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

function codeOf(run: () => unknown): ProtocolErrorCode {
  try {
    run();
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
  throw new Error('expected a ProtocolError');
}

describe('frontend decoders reject malformed bodies', () => {
  const cases: [string, Buffer, (frame: Frame) => unknown][] = [
    ['Query without NUL', typed('Q', text('select 1')), decodeQuery],
    ['Query with trailing bytes', typed('Q', cstr('select 1'), text('x')), decodeQuery],
    ['Parse with a type count past the end', typed('P', cstr(''), cstr('x'), int16(3), uint32(23)), decodeParse],
    ['Parse with a truncated type', typed('P', cstr(''), cstr('x'), int16(1), int16(0)), decodeParse],
    [
      'Bind with a value length past the end',
      typed('B', cstr(''), cstr(''), int16(0), int16(1), int32(10), text('abc'), int16(0)),
      decodeBind,
    ],
    [
      'Bind with a negative value length',
      typed('B', cstr(''), cstr(''), int16(0), int16(1), int32(-2), int16(0)),
      decodeBind,
    ],
    [
      'Bind with 2 formats for 3 values',
      typed(
        'B',
        cstr(''),
        cstr(''),
        int16(2),
        int16(0),
        int16(0),
        int16(3),
        value('a'),
        value('b'),
        value('c'),
        int16(0),
      ),
      decodeBind,
    ],
    ['Bind without result formats', typed('B', cstr(''), cstr(''), int16(0), int16(0)), decodeBind],
    ['Describe with a bad target', typed('D', text('X'), cstr('')), decodeDescribe],
    ['Close without a name', typed('C', text('S')), decodeClose],
    ['Execute without a row count', typed('E', cstr('')), decodeExecute],
    ['Sync with a body', typed('S', text('x')), decodeSync],
    ['PasswordMessage without NUL', typed('p', text('secret')), decodePasswordMessage],
    [
      'SASLInitialResponse with a short payload',
      typed('p', cstr('SCRAM-SHA-256'), int32(5), text('ab')),
      decodeSASLInitialResponse,
    ],
    ['StartupMessage without terminator', startup({ user: 'u' }).subarray(0, -1), decodeStartupMessage],
    [
      'StartupMessage with a name but no value',
      untyped(int32(196608), cstr('user'), Buffer.from([0])),
      decodeStartupMessage,
    ],
  ];

  test.each(cases)('%s', (_name, bytes, decode) => {
    const frame = frontendFrame(fixLength(bytes));
    expect(codeOf(() => decode(frame))).toBe('MALFORMED');
  });

  test('a CancelRequest key must be 4 to 256 bytes (the framer refuses shorter packets first)', () => {
    const bytes = untyped(int32(80877102), int32(1), Buffer.from([1, 2, 3]));
    const frame: Frame = {
      kind: 'cancel-request',
      code: 80877102,
      length: 15,
      bytes,
      body: bytes.subarray(8),
    };
    expect(codeOf(() => decodeCancelRequest(frame))).toBe('MALFORMED');
    expect(codeOf(() => frontendFrame(bytes))).toBe('INVALID_LENGTH');
  });

  test("a 'p' message needs its password context", () => {
    const frame = frontendFrame(typed('p', cstr('secret')));
    expect(codeOf(() => decodeFrontend(frame))).toBe('UNEXPECTED_MESSAGE');
    expect(decodeFrontend(frame, 'password')).toEqual({
      type: 'PasswordMessage',
      password: 'secret',
    });
  });

  test('a decoder given another message type says so', () => {
    expect(codeOf(() => decodeQuery(frontendFrame(typed('S'))))).toBe('UNEXPECTED_MESSAGE');
    expect(codeOf(() => decodeStartupMessage(frontendFrame(typed('S'))))).toBe('UNEXPECTED_MESSAGE');
  });

  test('startup parameter names such as __proto__ stay data', () => {
    const message = decodeStartupMessage(frontendFrame(startup({ user: 'u', ['__proto__']: 'x' })));
    expect(message.parameters.get('__proto__')).toBe('x');
    expect(Object.getPrototypeOf(message.parameters)).toBe(Map.prototype);
  });
});

/** Startup cases above cut their packet short; the length word must follow. */
function fixLength(bytes: Buffer): Buffer {
  if (bytes[0] === 0) {
    const copy = Buffer.from(bytes);
    copy.writeInt32BE(copy.length, 0);
    return copy;
  }
  return bytes;
}

describe('backend decoders reject malformed bodies', () => {
  const cases: [string, Buffer, (frame: Frame) => unknown][] = [
    ['Authentication with an unknown code', typed('R', int32(4)), decodeAuthentication],
    ['AuthenticationMD5Password with a short salt', typed('R', int32(5), text('ab')), decodeAuthentication],
    ['AuthenticationOk with trailing bytes', typed('R', int32(0), int32(0)), decodeAuthentication],
    ['AuthenticationSASL without the final NUL', typed('R', int32(10), cstr('SCRAM-SHA-256')), decodeAuthentication],
    ['ReadyForQuery with a bad status', typed('Z', text('X')), decodeReadyForQuery],
    ['ReadyForQuery without a status', typed('Z'), decodeReadyForQuery],
    ['ParameterStatus without a value', typed('S', cstr('x')), decodeParameterStatus],
    ['BackendKeyData with a short key', typed('K', int32(1), int16(2)), decodeBackendKeyData],
    [
      'RowDescription with a field count past the end',
      typed('T', int16(2), field('a', 0, 0, 23, 4, -1, 0)),
      decodeRowDescription,
    ],
    ['RowDescription with a truncated field', typed('T', int16(1), cstr('a'), int32(0)), decodeRowDescription],
    ['DataRow with a count past the end', typed('D', int16(3), value('a')), decodeDataRow],
    ['DataRow with a value past the end', typed('D', int16(1), int32(100), text('abc')), decodeDataRow],
    ['DataRow with length -2', typed('D', int16(1), int32(-2)), decodeDataRow],
    ['CommandComplete without NUL', typed('C', text('SELECT 1')), decodeCommandComplete],
    ['ErrorResponse without terminator', typed('E', text('S'), cstr('ERROR')), decodeErrorResponse],
    ['ErrorResponse with a field without NUL', typed('E', text('MERROR')), decodeErrorResponse],
    [
      'CopyInResponse with a format count past the end',
      typed('G', Buffer.from([0]), int16(4), int16(0)),
      decodeCopyInResponse,
    ],
    ['ParameterDescription with a count past the end', typed('t', int16(2), uint32(23)), decodeParameterDescription],
    [
      'NegotiateProtocolVersion with a huge option count',
      typed('v', int32(0), int32(0x7fffffff)),
      decodeNegotiateProtocolVersion,
    ],
    [
      'NegotiateProtocolVersion with a negative option count',
      typed('v', int32(0), int32(-1)),
      decodeNegotiateProtocolVersion,
    ],
  ];

  test.each(cases)('%s', (_name, bytes, decode) => {
    expect(codeOf(() => decode(backendFrame(bytes)))).toBe('MALFORMED');
  });

  test('decodeBackend refuses type bytes it does not know', () => {
    expect(codeOf(() => decodeBackend(backendFrame(typed('~'))))).toBe('UNKNOWN_MESSAGE_TYPE');
  });
});

describe('decoding details', () => {
  test('values are views over the frame, not copies', () => {
    const frame = backendFrame(typed('D', int16(2), value('abc'), value(null)));
    const row = decodeDataRow(frame);
    expect(row.values[0]!.buffer).toBe(frame.bytes.buffer);
    expect(row.values[1]).toBeNull();
  });

  test('OIDs above 2^31 decode as unsigned', () => {
    const message = decodeParse(frontendFrame(typed('P', cstr(''), cstr('x'), int16(1), uint32(0xfffffff0))));
    expect(message.paramTypes).toEqual([0xfffffff0]);
  });

  test('effectiveFormat follows the none / one-for-all / one-each rule', () => {
    expect(effectiveFormat([], 3)).toBe(0);
    expect(effectiveFormat([1], 3)).toBe(1);
    expect(effectiveFormat([0, 1], 1)).toBe(1);
  });

  test('passwordContextFor maps each request to the meaning of the next p message', () => {
    expect(passwordContextFor({ type: 'AuthenticationMD5Password', salt: Buffer.alloc(4) })).toBe('password');
    expect(passwordContextFor({ type: 'AuthenticationCleartextPassword' })).toBe('password');
    expect(passwordContextFor({ type: 'AuthenticationSASL', mechanisms: [] })).toBe('sasl-initial');
    expect(passwordContextFor({ type: 'AuthenticationSASLContinue', data: Buffer.alloc(0) })).toBe('sasl');
    expect(passwordContextFor({ type: 'AuthenticationOk' })).toBeUndefined();
  });
});
