// fast-check arbitraries for every message kind the library serializes.
import fc from 'fast-check';
import type { BackendMessage, FrontendMessage, PasswordContext } from '../src/index.js';

/** Any well-formed Unicode without NUL, which a C string cannot carry. */
export const str = fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => s.replace(/\0/g, ''));
export const nonEmptyStr = str.filter((s) => s !== '');
export const bytes = (maxLength = 24) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
export const nullableBytes = fc.option(bytes(), { nil: null });
export const int16 = fc.integer({ min: -0x8000, max: 0x7fff });
export const int32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
export const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
export const formats = fc.array(int16, { maxLength: 5 });
const target = fc.constantFrom<'S' | 'P'>('S', 'P');
const secretKey = fc.uint8Array({ minLength: 4, maxLength: 256 }).map((a) => Buffer.from(a));

/** Values with a format list obeying PostgreSQL's rule: none, one for all, or one each. */
const valuesWithFormats = fc.array(nullableBytes, { maxLength: 6 }).chain((values) =>
  fc.record({
    values: fc.constant(values),
    formats: fc.oneof(
      fc.constant<number[]>([]),
      int16.map((f) => [f]),
      fc.array(int16, { minLength: values.length, maxLength: values.length }),
    ),
  }),
);

export const startupPhaseMessage: fc.Arbitrary<FrontendMessage> = fc.oneof(
  fc.record({
    type: fc.constant('StartupMessage' as const),
    majorVersion: fc.constant(3),
    minorVersion: fc.integer({ min: 0, max: 0xffff }),
    parameters: fc
      .uniqueArray(fc.tuple(nonEmptyStr, str), { selector: ([name]) => name, maxLength: 6 })
      .map((entries) => new Map(entries)),
  }),
  fc.constant({ type: 'SSLRequest' as const }),
  fc.constant({ type: 'GSSENCRequest' as const }),
  fc.record({ type: fc.constant('CancelRequest' as const), processId: int32, secretKey }),
);

export const passwordMessage: fc.Arbitrary<[FrontendMessage, PasswordContext]> = fc.oneof(
  str.map((password) => [{ type: 'PasswordMessage', password }, 'password'] as [FrontendMessage, PasswordContext]),
  fc
    .record({ mechanism: str, data: nullableBytes })
    .map(
      ({ mechanism, data }) =>
        [{ type: 'SASLInitialResponse', mechanism, data }, 'sasl-initial'] as [FrontendMessage, PasswordContext],
    ),
  bytes().map((data) => [{ type: 'SASLResponse', data }, 'sasl'] as [FrontendMessage, PasswordContext]),
);

export const typedFrontendMessage: fc.Arbitrary<FrontendMessage> = fc.oneof(
  fc.record({ type: fc.constant('Query' as const), sql: str }),
  fc.record({
    type: fc.constant('Parse' as const),
    name: str,
    sql: str,
    paramTypes: fc.array(uint32, { maxLength: 6 }),
  }),
  fc
    .record({ portal: str, statement: str, params: valuesWithFormats, resultFormats: formats })
    .map(({ portal, statement, params, resultFormats }) => ({
      type: 'Bind' as const,
      portal,
      statement,
      paramFormats: params.formats,
      params: params.values,
      resultFormats,
    })),
  fc.record({ type: fc.constant('Describe' as const), target, name: str }),
  fc.record({ type: fc.constant('Execute' as const), portal: str, maxRows: uint32 }),
  fc.record({ type: fc.constant('Close' as const), target, name: str }),
  fc.constant({ type: 'Sync' as const }),
  fc.constant({ type: 'Flush' as const }),
  fc.constant({ type: 'Terminate' as const }),
  fc.record({ type: fc.constant('CopyData' as const), data: bytes() }),
  fc.constant({ type: 'CopyDone' as const }),
  fc.record({ type: fc.constant('CopyFail' as const), message: str }),
  fc
    .record({ functionOid: uint32, args: valuesWithFormats, resultFormat: int16 })
    .map(({ functionOid, args, resultFormat }) => ({
      type: 'FunctionCall' as const,
      functionOid,
      argFormats: args.formats,
      args: args.values,
      resultFormat,
    })),
);

const fieldDescription = fc.record({
  name: str,
  tableOid: uint32,
  columnAttribute: int16,
  typeOid: uint32,
  typeSize: int16,
  typeModifier: int32,
  format: int16,
});

const noticeFields = fc
  .uniqueArray(
    fc.tuple(
      fc.integer({ min: 1, max: 0xff }).map((c) => String.fromCharCode(c)),
      str,
    ),
    { selector: ([code]) => code, maxLength: 8 },
  )
  .map((entries) => Object.fromEntries(entries));

const copyResponse = <T extends 'CopyInResponse' | 'CopyOutResponse' | 'CopyBothResponse'>(type: T) =>
  fc.record({
    type: fc.constant(type),
    format: fc.integer({ min: 0, max: 255 }),
    columnFormats: formats,
  });

export const backendMessage: fc.Arbitrary<BackendMessage> = fc.oneof(
  fc.constantFrom(
    { type: 'AuthenticationOk' as const },
    { type: 'AuthenticationKerberosV5' as const },
    { type: 'AuthenticationCleartextPassword' as const },
    { type: 'AuthenticationGSS' as const },
    { type: 'AuthenticationSSPI' as const },
    { type: 'ParseComplete' as const },
    { type: 'BindComplete' as const },
    { type: 'CloseComplete' as const },
    { type: 'NoData' as const },
    { type: 'PortalSuspended' as const },
    { type: 'EmptyQueryResponse' as const },
    { type: 'CopyDone' as const },
  ),
  fc.record({
    type: fc.constant('AuthenticationMD5Password' as const),
    salt: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((a) => Buffer.from(a)),
  }),
  fc.record({ type: fc.constant('AuthenticationGSSContinue' as const), data: bytes() }),
  fc.record({
    type: fc.constant('AuthenticationSASL' as const),
    mechanisms: fc.array(nonEmptyStr, { maxLength: 3 }),
  }),
  fc.record({ type: fc.constant('AuthenticationSASLContinue' as const), data: bytes() }),
  fc.record({ type: fc.constant('AuthenticationSASLFinal' as const), data: bytes() }),
  fc.record({ type: fc.constant('ParameterStatus' as const), name: str, value: str }),
  fc.record({ type: fc.constant('BackendKeyData' as const), processId: int32, secretKey }),
  fc.record({
    type: fc.constant('ReadyForQuery' as const),
    status: fc.constantFrom<'I' | 'T' | 'E'>('I', 'T', 'E'),
  }),
  fc.record({
    type: fc.constant('ParameterDescription' as const),
    paramTypes: fc.array(uint32, { maxLength: 6 }),
  }),
  fc.record({
    type: fc.constant('RowDescription' as const),
    fields: fc.array(fieldDescription, { maxLength: 4 }),
  }),
  fc.record({
    type: fc.constant('DataRow' as const),
    values: fc.array(nullableBytes, { maxLength: 6 }),
  }),
  fc.record({ type: fc.constant('CommandComplete' as const), tag: str }),
  fc.record({ type: fc.constant('ErrorResponse' as const), fields: noticeFields }),
  fc.record({ type: fc.constant('NoticeResponse' as const), fields: noticeFields }),
  fc.record({
    type: fc.constant('NotificationResponse' as const),
    processId: int32,
    channel: str,
    payload: str,
  }),
  copyResponse('CopyInResponse'),
  copyResponse('CopyOutResponse'),
  copyResponse('CopyBothResponse'),
  fc.record({ type: fc.constant('CopyData' as const), data: bytes() }),
  fc.record({
    type: fc.constant('NegotiateProtocolVersion' as const),
    newestMinorVersion: int32,
    unrecognizedOptions: fc.array(str, { maxLength: 4 }),
  }),
  fc.record({ type: fc.constant('FunctionCallResponse' as const), result: nullableBytes }),
);
