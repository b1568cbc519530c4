// A realistic session in both directions, built from the independent byte builders, with the
// message each packet must decode to: startup with SCRAM, a simple query, an extended-query
// pipeline, notices and errors, COPY in and out, LISTEN/NOTIFY, a function call, termination.
import type { BackendMessage, FrontendMessage, PasswordContext } from '../src/index.js';
import { cstr, field, int16, int32, int8, noticeBody, startup, text, typed, uint32, value } from './bytes.js';

export interface FrontendStep {
  bytes: Buffer;
  message: FrontendMessage;
  passwordContext?: PasswordContext;
}
export interface BackendStep {
  bytes: Buffer;
  message: BackendMessage;
}

const clientFirst = 'n,,n=,r=rOprNGfwEbeRWgbNEkqO';
const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const clientFinal = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA';
const serverFinal = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';
const int4 = (n: number): Buffer => int32(n);

export const frontendSession: FrontendStep[] = [
  {
    bytes: startup({
      user: 'alice',
      database: 'app',
      application_name: 'psql',
      client_encoding: 'UTF8',
    }),
    message: {
      type: 'StartupMessage',
      majorVersion: 3,
      minorVersion: 0,
      parameters: new Map([
        ['user', 'alice'],
        ['database', 'app'],
        ['application_name', 'psql'],
        ['client_encoding', 'UTF8'],
      ]),
    },
  },
  {
    bytes: typed('p', cstr('SCRAM-SHA-256'), value(clientFirst)),
    message: { type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256', data: text(clientFirst) },
    passwordContext: 'sasl-initial',
  },
  {
    bytes: typed('p', text(clientFinal)),
    message: { type: 'SASLResponse', data: text(clientFinal) },
    passwordContext: 'sasl',
  },
  {
    bytes: typed('p', cstr('hunter2')),
    message: { type: 'PasswordMessage', password: 'hunter2' },
    passwordContext: 'password',
  },
  {
    bytes: typed('Q', cstr('select 1 as one')),
    message: { type: 'Query', sql: 'select 1 as one' },
  },
  {
    bytes: typed('P', cstr('s1'), cstr('select $1::int4, $2::text'), int16(2), uint32(23), uint32(0)),
    message: { type: 'Parse', name: 's1', sql: 'select $1::int4, $2::text', paramTypes: [23, 0] },
  },
  {
    bytes: typed(
      'B',
      cstr(''),
      cstr('s1'),
      int16(2),
      int16(1),
      int16(0),
      int16(2),
      value(int4(42)),
      value(null),
      int16(1),
      int16(1),
    ),
    message: {
      type: 'Bind',
      portal: '',
      statement: 's1',
      paramFormats: [1, 0],
      params: [int4(42), null],
      resultFormats: [1],
    },
  },
  { bytes: typed('D', text('P'), cstr('')), message: { type: 'Describe', target: 'P', name: '' } },
  { bytes: typed('E', cstr(''), int32(0)), message: { type: 'Execute', portal: '', maxRows: 0 } },
  { bytes: typed('S'), message: { type: 'Sync' } },
  {
    bytes: typed('D', text('S'), cstr('s1')),
    message: { type: 'Describe', target: 'S', name: 's1' },
  },
  {
    bytes: typed('E', cstr('cur'), int32(100)),
    message: { type: 'Execute', portal: 'cur', maxRows: 100 },
  },
  { bytes: typed('H'), message: { type: 'Flush' } },
  { bytes: typed('C', text('S'), cstr('s1')), message: { type: 'Close', target: 'S', name: 's1' } },
  { bytes: typed('S'), message: { type: 'Sync' } },
  {
    bytes: typed('Q', cstr('copy t from stdin')),
    message: { type: 'Query', sql: 'copy t from stdin' },
  },
  { bytes: typed('d', text('1\tone\n')), message: { type: 'CopyData', data: text('1\tone\n') } },
  { bytes: typed('d', text('2\ttwo\n')), message: { type: 'CopyData', data: text('2\ttwo\n') } },
  { bytes: typed('c'), message: { type: 'CopyDone' } },
  {
    bytes: typed('Q', cstr('copy t from stdin')),
    message: { type: 'Query', sql: 'copy t from stdin' },
  },
  {
    bytes: typed('f', cstr('aborted by user')),
    message: { type: 'CopyFail', message: 'aborted by user' },
  },
  {
    bytes: typed('Q', cstr('copy t to stdout')),
    message: { type: 'Query', sql: 'copy t to stdout' },
  },
  { bytes: typed('Q', cstr('')), message: { type: 'Query', sql: '' } },
  {
    bytes: typed('F', uint32(1598), int16(1), int16(0), int16(1), value('x'), int16(0)),
    message: {
      type: 'FunctionCall',
      functionOid: 1598,
      argFormats: [0],
      args: [text('x')],
      resultFormat: 0,
    },
  },
  {
    bytes: typed('Q', cstr("select ünïcødé, '€'")),
    message: { type: 'Query', sql: "select ünïcødé, '€'" },
  },
  { bytes: typed('X'), message: { type: 'Terminate' } },
];

export const backendSession: BackendStep[] = [
  {
    bytes: typed('R', int32(10), cstr('SCRAM-SHA-256-PLUS'), cstr('SCRAM-SHA-256'), Buffer.from([0])),
    message: { type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] },
  },
  {
    bytes: typed('R', int32(11), text(serverFirst)),
    message: { type: 'AuthenticationSASLContinue', data: text(serverFirst) },
  },
  {
    bytes: typed('R', int32(12), text(serverFinal)),
    message: { type: 'AuthenticationSASLFinal', data: text(serverFinal) },
  },
  { bytes: typed('R', int32(0)), message: { type: 'AuthenticationOk' } },
  {
    bytes: typed('S', cstr('server_version'), cstr('15.20')),
    message: { type: 'ParameterStatus', name: 'server_version', value: '15.20' },
  },
  {
    bytes: typed('S', cstr('client_encoding'), cstr('UTF8')),
    message: { type: 'ParameterStatus', name: 'client_encoding', value: 'UTF8' },
  },
  {
    bytes: typed('K', int32(4242), int32(-559038737)),
    message: { type: 'BackendKeyData', processId: 4242, secretKey: int32(-559038737) },
  },
  { bytes: typed('Z', text('I')), message: { type: 'ReadyForQuery', status: 'I' } },
  // simple query
  {
    bytes: typed('T', int16(1), field('one', 0, 0, 23, 4, -1, 0)),
    message: {
      type: 'RowDescription',
      fields: [
        {
          name: 'one',
          tableOid: 0,
          columnAttribute: 0,
          typeOid: 23,
          typeSize: 4,
          typeModifier: -1,
          format: 0,
        },
      ],
    },
  },
  { bytes: typed('D', int16(1), value('1')), message: { type: 'DataRow', values: [text('1')] } },
  { bytes: typed('C', cstr('SELECT 1')), message: { type: 'CommandComplete', tag: 'SELECT 1' } },
  { bytes: typed('Z', text('I')), message: { type: 'ReadyForQuery', status: 'I' } },
  // extended query pipeline
  { bytes: typed('1'), message: { type: 'ParseComplete' } },
  { bytes: typed('2'), message: { type: 'BindComplete' } },
  {
    bytes: typed('T', int16(2), field('int4', 16384, 1, 23, 4, -1, 1), field('text', 16384, 2, 25, -1, -1, 1)),
    message: {
      type: 'RowDescription',
      fields: [
        {
          name: 'int4',
          tableOid: 16384,
          columnAttribute: 1,
          typeOid: 23,
          typeSize: 4,
          typeModifier: -1,
          format: 1,
        },
        {
          name: 'text',
          tableOid: 16384,
          columnAttribute: 2,
          typeOid: 25,
          typeSize: -1,
          typeModifier: -1,
          format: 1,
        },
      ],
    },
  },
  {
    bytes: typed('D', int16(2), value(int4(42)), value(null)),
    message: { type: 'DataRow', values: [int4(42), null] },
  },
  { bytes: typed('C', cstr('SELECT 1')), message: { type: 'CommandComplete', tag: 'SELECT 1' } },
  { bytes: typed('Z', text('T')), message: { type: 'ReadyForQuery', status: 'T' } },
  {
    bytes: typed('t', int16(2), uint32(23), uint32(25)),
    message: { type: 'ParameterDescription', paramTypes: [23, 25] },
  },
  { bytes: typed('n'), message: { type: 'NoData' } },
  { bytes: typed('s'), message: { type: 'PortalSuspended' } },
  { bytes: typed('3'), message: { type: 'CloseComplete' } },
  // notices and errors
  {
    bytes: typed(
      'N',
      noticeBody({
        S: 'NOTICE',
        V: 'NOTICE',
        C: '00000',
        M: 'hello',
        W: 'PL/pgSQL function inline_code_block line 1 at RAISE',
      }),
    ),
    message: {
      type: 'NoticeResponse',
      fields: {
        S: 'NOTICE',
        V: 'NOTICE',
        C: '00000',
        M: 'hello',
        W: 'PL/pgSQL function inline_code_block line 1 at RAISE',
      },
    },
  },
  {
    bytes: typed(
      'E',
      noticeBody({
        S: 'ERROR',
        V: 'ERROR',
        C: '22012',
        M: 'division by zero',
        D: 'd',
        H: 'h',
        P: '8',
        F: 'int.c',
        L: '841',
        R: 'int4div',
      }),
    ),
    message: {
      type: 'ErrorResponse',
      fields: {
        S: 'ERROR',
        V: 'ERROR',
        C: '22012',
        M: 'division by zero',
        D: 'd',
        H: 'h',
        P: '8',
        F: 'int.c',
        L: '841',
        R: 'int4div',
      },
    },
  },
  { bytes: typed('Z', text('E')), message: { type: 'ReadyForQuery', status: 'E' } },
  // COPY in
  {
    bytes: typed('G', int8(0), int16(2), int16(0), int16(0)),
    message: { type: 'CopyInResponse', format: 0, columnFormats: [0, 0] },
  },
  { bytes: typed('C', cstr('COPY 2')), message: { type: 'CommandComplete', tag: 'COPY 2' } },
  // COPY out
  {
    bytes: typed('H', int8(0), int16(2), int16(0), int16(0)),
    message: { type: 'CopyOutResponse', format: 0, columnFormats: [0, 0] },
  },
  { bytes: typed('d', text('1\tone\n')), message: { type: 'CopyData', data: text('1\tone\n') } },
  { bytes: typed('d', text('2\ttwo\n')), message: { type: 'CopyData', data: text('2\ttwo\n') } },
  { bytes: typed('c'), message: { type: 'CopyDone' } },
  { bytes: typed('C', cstr('COPY 2')), message: { type: 'CommandComplete', tag: 'COPY 2' } },
  {
    bytes: typed('W', int8(1), int16(0)),
    message: { type: 'CopyBothResponse', format: 1, columnFormats: [] },
  },
  { bytes: typed('I'), message: { type: 'EmptyQueryResponse' } },
  {
    bytes: typed('A', int32(4243), cstr('jobs'), cstr('{"id":1}')),
    message: {
      type: 'NotificationResponse',
      processId: 4243,
      channel: 'jobs',
      payload: '{"id":1}',
    },
  },
  { bytes: typed('V', value('x')), message: { type: 'FunctionCallResponse', result: text('x') } },
  { bytes: typed('V', value(null)), message: { type: 'FunctionCallResponse', result: null } },
  {
    bytes: typed('v', int32(0), int32(1), cstr('_pq_.compression')),
    message: {
      type: 'NegotiateProtocolVersion',
      newestMinorVersion: 0,
      unrecognizedOptions: ['_pq_.compression'],
    },
  },
  {
    bytes: typed('R', int32(5), Buffer.from([1, 2, 3, 4])),
    message: { type: 'AuthenticationMD5Password', salt: Buffer.from([1, 2, 3, 4]) },
  },
  { bytes: typed('R', int32(3)), message: { type: 'AuthenticationCleartextPassword' } },
  { bytes: typed('Z', text('I')), message: { type: 'ReadyForQuery', status: 'I' } },
];

export const frontendBytes = Buffer.concat(frontendSession.map((step) => step.bytes));
export const backendBytes = Buffer.concat(backendSession.map((step) => step.bytes));
