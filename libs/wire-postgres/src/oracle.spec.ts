import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { serialize } from 'pg-protocol';
import { Parser } from 'pg-protocol/dist/parser.js';
import {
  backend,
  type BackendMessage,
  decodeBind,
  decodeCancelRequest,
  decodeParse,
  decodeSASLInitialResponse,
  decodeStartupMessage,
  encodeBackend,
  type Frame,
  FrontendParser,
} from './index.js';
import { backendMessage, nonEmptyStr, str } from '../test/arbitraries.js';

// node-postgres' pg-protocol as an independent oracle: its parser must read what our backend
// serializers write, and our frontend decoders must read what its serializer writes.

type PgMessage = Record<string, unknown> & { name: string };

function pgParse(bytes: Buffer): PgMessage[] {
  const messages: PgMessage[] = [];
  new Parser().parse(bytes, (message) => messages.push(message as unknown as PgMessage));
  return messages;
}

function ours(bytes: Buffer, phase: 'startup' | 'message' = 'message'): Frame {
  const frames: Frame[] = [];
  new FrontendParser({ phase }).parse(bytes, (frame) => frames.push(frame));
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

/** What pg-protocol should report for one of our messages; undefined for kinds it does not parse. */
function expectedByPg(message: BackendMessage): Record<string, unknown> | undefined {
  const utf8 = (b: Buffer) => b.toString('utf8');
  switch (message.type) {
    case 'AuthenticationOk':
      return { name: 'authenticationOk' };
    case 'AuthenticationCleartextPassword':
      return { name: 'authenticationCleartextPassword' };
    case 'AuthenticationMD5Password':
      return { name: 'authenticationMD5Password', salt: message.salt };
    case 'AuthenticationSASL':
      return { name: 'authenticationSASL', mechanisms: message.mechanisms };
    case 'AuthenticationSASLContinue':
      return { name: 'authenticationSASLContinue', data: utf8(message.data) };
    case 'AuthenticationSASLFinal':
      return { name: 'authenticationSASLFinal', data: utf8(message.data) };
    case 'ParameterStatus':
      return {
        name: 'parameterStatus',
        parameterName: message.name,
        parameterValue: message.value,
      };
    case 'BackendKeyData':
      return message.secretKey.length === 4
        ? {
            name: 'backendKeyData',
            processID: message.processId,
            secretKey: message.secretKey.readInt32BE(),
          }
        : undefined;
    case 'ReadyForQuery':
      return { name: 'readyForQuery', status: message.status };
    case 'CommandComplete':
      return { name: 'commandComplete', text: message.tag };
    case 'DataRow':
      return { name: 'dataRow', fields: message.values.map((v) => (v === null ? null : utf8(v))) };
    case 'RowDescription':
      return {
        name: 'rowDescription',
        fields: message.fields.map((f) => ({
          name: f.name,
          tableID: f.tableOid,
          columnID: f.columnAttribute,
          dataTypeID: f.typeOid,
          dataTypeSize: f.typeSize,
          dataTypeModifier: f.typeModifier,
          format: f.format === 0 ? 'text' : 'binary',
        })),
      };
    case 'ParameterDescription':
      return { name: 'parameterDescription', dataTypeIDs: message.paramTypes };
    case 'NotificationResponse':
      return {
        name: 'notification',
        processId: message.processId,
        channel: message.channel,
        payload: message.payload,
      };
    case 'CopyData':
      return { name: 'copyData', chunk: message.data };
    case 'ParseComplete':
    case 'BindComplete':
    case 'CloseComplete':
    case 'NoData':
    case 'PortalSuspended':
    case 'CopyDone':
      return { name: message.type[0]!.toLowerCase() + message.type.slice(1) };
    case 'EmptyQueryResponse':
      return { name: 'emptyQuery' };
    default:
      return undefined;
  }
}

describe('pg-protocol parses what our backend serializers write', () => {
  test('every kind it knows, with arbitrary contents', () => {
    const known = backendMessage.filter((message) => expectedByPg(message) !== undefined);
    fc.assert(
      fc.property(known, (message) => {
        const [parsed, ...rest] = pgParse(encodeBackend(message));
        expect(rest).toHaveLength(0);
        expect(parsed).toMatchObject(expectedByPg(message)!);
      }),
      { numRuns: 300 },
    );
  });

  test('errorResponse and noticeResponse, field by field', () => {
    const bytes = Buffer.concat([
      backend.errorResponse({
        severity: 'FATAL',
        code: '28P01',
        message: 'password authentication failed',
        detail: 'd',
        hint: 'h',
        position: 12,
      }),
      backend.noticeResponse({
        severity: 'WARNING',
        code: '01000',
        message: 'session is recorded',
      }),
    ]);
    const [error, notice] = pgParse(bytes);
    expect(error).toMatchObject({
      name: 'error',
      severity: 'FATAL',
      code: '28P01',
      message: 'password authentication failed',
      detail: 'd',
      hint: 'h',
      position: '12',
    });
    expect(notice).toMatchObject({
      name: 'notice',
      severity: 'WARNING',
      code: '01000',
      message: 'session is recorded',
    });
  });

  test('copy responses', () => {
    const [copyIn, copyOut] = pgParse(
      Buffer.concat([backend.copyInResponse(0, [0, 0]), backend.copyOutResponse(1, [1])]),
    );
    expect(copyIn).toMatchObject({ name: 'copyInResponse', binary: false, columnTypes: [0, 0] });
    expect(copyOut).toMatchObject({ name: 'copyOutResponse', binary: true, columnTypes: [1] });
  });
});

describe('our frontend decoders read what pg-protocol serializes', () => {
  test('Bind with text, binary and NULL values', () => {
    const values = ['42', Buffer.from([0, 1, 2]), null];
    const bind = decodeBind(ours(serialize.bind({ portal: 'p', statement: 's', values, binary: true })));
    expect(bind).toEqual({
      type: 'Bind',
      portal: 'p',
      statement: 's',
      paramFormats: [0, 1, 0],
      params: [Buffer.from('42'), Buffer.from([0, 1, 2]), null],
      resultFormats: [1],
    });
  });

  test('Parse, arbitrary', () => {
    fc.assert(
      fc.property(str, str, fc.array(fc.integer({ min: 0, max: 0x7fffffff }), { maxLength: 5 }), (name, sql, types) => {
        // pg-protocol warns on the console above 63 bytes; PostgreSQL truncates such names anyway.
        fc.pre(Buffer.byteLength(name) <= 63);
        expect(decodeParse(ours(serialize.parse({ name, text: sql, types })))).toEqual({
          type: 'Parse',
          name,
          sql,
          paramTypes: types,
        });
      }),
    );
  });

  test('StartupMessage, CancelRequest and SASLInitialResponse', () => {
    fc.assert(
      fc.property(fc.dictionary(nonEmptyStr, str, { maxKeys: 4 }), (parameters) => {
        fc.pre(!('client_encoding' in parameters));
        const startup = decodeStartupMessage(ours(serialize.startup(parameters), 'startup'));
        expect(Object.fromEntries(startup.parameters)).toEqual({
          ...parameters,
          client_encoding: 'UTF8',
        });
      }),
    );
    const cancel = decodeCancelRequest(ours(serialize.cancel(1234, -5), 'startup'));
    expect(cancel.processId).toBe(1234);
    expect(cancel.secretKey.readInt32BE()).toBe(-5);
    const sasl = decodeSASLInitialResponse(
      ours(serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', 'n,,n=,r=abc')),
    );
    expect(sasl).toEqual({
      type: 'SASLInitialResponse',
      mechanism: 'SCRAM-SHA-256',
      data: Buffer.from('n,,n=,r=abc'),
    });
  });
});
