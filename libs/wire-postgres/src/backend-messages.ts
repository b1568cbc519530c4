import type { TransactionStatus } from './codes.js';
import type { CopyData, CopyDone } from './frontend-messages.js';

// Server → client messages as decoded values; same conventions as frontend-messages.ts.

export interface AuthenticationOk {
  type: 'AuthenticationOk';
}
export interface AuthenticationKerberosV5 {
  type: 'AuthenticationKerberosV5';
}
export interface AuthenticationCleartextPassword {
  type: 'AuthenticationCleartextPassword';
}
export interface AuthenticationMD5Password {
  type: 'AuthenticationMD5Password';
  salt: Buffer;
}
export interface AuthenticationGSS {
  type: 'AuthenticationGSS';
}
export interface AuthenticationSSPI {
  type: 'AuthenticationSSPI';
}
export interface AuthenticationGSSContinue {
  type: 'AuthenticationGSSContinue';
  data: Buffer;
}
export interface AuthenticationSASL {
  type: 'AuthenticationSASL';
  mechanisms: string[];
}
export interface AuthenticationSASLContinue {
  type: 'AuthenticationSASLContinue';
  data: Buffer;
}
export interface AuthenticationSASLFinal {
  type: 'AuthenticationSASLFinal';
  data: Buffer;
}
export type Authentication =
  | AuthenticationOk
  | AuthenticationKerberosV5
  | AuthenticationCleartextPassword
  | AuthenticationMD5Password
  | AuthenticationGSS
  | AuthenticationSSPI
  | AuthenticationGSSContinue
  | AuthenticationSASL
  | AuthenticationSASLContinue
  | AuthenticationSASLFinal;

export interface ParameterStatus {
  type: 'ParameterStatus';
  name: string;
  value: string;
}
export interface BackendKeyData {
  type: 'BackendKeyData';
  processId: number;
  /** 4 bytes in protocol 3.0, up to 256 in 3.2. */
  secretKey: Buffer;
}
export interface ReadyForQuery {
  type: 'ReadyForQuery';
  /** 'I' idle, 'T' in a transaction, 'E' in a failed transaction. */
  status: TransactionStatus;
}
export interface ParseComplete {
  type: 'ParseComplete';
}
export interface BindComplete {
  type: 'BindComplete';
}
export interface CloseComplete {
  type: 'CloseComplete';
}
export interface NoData {
  type: 'NoData';
}
export interface PortalSuspended {
  type: 'PortalSuspended';
}
export interface EmptyQueryResponse {
  type: 'EmptyQueryResponse';
}
export interface ParameterDescription {
  type: 'ParameterDescription';
  paramTypes: number[];
}
export interface FieldDescription {
  name: string;
  /** 0 when the column is not a table column. */
  tableOid: number;
  /** 0 when the column is not a table column. */
  columnAttribute: number;
  typeOid: number;
  /** Negative for variable-width types. */
  typeSize: number;
  typeModifier: number;
  /** 0 text, 1 binary. */
  format: number;
}
export interface RowDescription {
  type: 'RowDescription';
  fields: FieldDescription[];
}
export interface DataRow {
  type: 'DataRow';
  /** Views over the frame; null is SQL NULL (length -1). */
  values: (Buffer | null)[];
}
export interface CommandComplete {
  type: 'CommandComplete';
  tag: string;
}
/** Fields keyed by their one-character code (see `ErrorField`): S, V, C, M, D, H, P, ... */
export type NoticeFields = Record<string, string>;
export interface ErrorResponse {
  type: 'ErrorResponse';
  fields: NoticeFields;
}
export interface NoticeResponse {
  type: 'NoticeResponse';
  fields: NoticeFields;
}
export interface NotificationResponse {
  type: 'NotificationResponse';
  processId: number;
  channel: string;
  payload: string;
}
export interface CopyResponse<T extends 'CopyInResponse' | 'CopyOutResponse' | 'CopyBothResponse'> {
  type: T;
  /** 0 textual, 1 binary: the overall COPY format. */
  format: number;
  columnFormats: number[];
}
export type CopyInResponse = CopyResponse<'CopyInResponse'>;
export type CopyOutResponse = CopyResponse<'CopyOutResponse'>;
export type CopyBothResponse = CopyResponse<'CopyBothResponse'>;
export interface NegotiateProtocolVersion {
  type: 'NegotiateProtocolVersion';
  newestMinorVersion: number;
  unrecognizedOptions: string[];
}
export interface FunctionCallResponse {
  type: 'FunctionCallResponse';
  result: Buffer | null;
}

export type BackendMessage =
  | Authentication
  | ParameterStatus
  | BackendKeyData
  | ReadyForQuery
  | ParseComplete
  | BindComplete
  | CloseComplete
  | NoData
  | PortalSuspended
  | EmptyQueryResponse
  | ParameterDescription
  | RowDescription
  | DataRow
  | CommandComplete
  | ErrorResponse
  | NoticeResponse
  | NotificationResponse
  | CopyInResponse
  | CopyOutResponse
  | CopyBothResponse
  | CopyData
  | CopyDone
  | NegotiateProtocolVersion
  | FunctionCallResponse;
