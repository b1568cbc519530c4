// Client → server messages as decoded values. Strings are decoded as UTF-8 (the only
// client_encoding a proxy can safely assume); byte strings (values, SASL data, CopyData) are
// views over the frame they came from.

export interface StartupMessage {
  type: 'StartupMessage';
  majorVersion: number;
  minorVersion: number;
  /** A Map, not an object: names come from the client (think `__proto__`). */
  parameters: Map<string, string>;
}
export interface SSLRequest {
  type: 'SSLRequest';
}
export interface GSSENCRequest {
  type: 'GSSENCRequest';
}
export interface CancelRequest {
  type: 'CancelRequest';
  processId: number;
  /** 4 bytes in protocol 3.0, up to 256 in 3.2. */
  secretKey: Buffer;
}
export interface PasswordMessage {
  type: 'PasswordMessage';
  password: string;
}
export interface SASLInitialResponse {
  type: 'SASLInitialResponse';
  mechanism: string;
  /** null when the client sent no initial response (length -1). */
  data: Buffer | null;
}
export interface SASLResponse {
  type: 'SASLResponse';
  data: Buffer;
}
export interface Query {
  type: 'Query';
  sql: string;
}
export interface Parse {
  type: 'Parse';
  name: string;
  sql: string;
  /** Parameter type OIDs; 0 leaves a type unspecified. */
  paramTypes: number[];
}
export interface Bind {
  type: 'Bind';
  portal: string;
  statement: string;
  /** Empty: all text; one: applies to all; else one per parameter (see `effectiveFormat`). */
  paramFormats: number[];
  /** null is SQL NULL. */
  params: (Buffer | null)[];
  resultFormats: number[];
}
export interface Describe {
  type: 'Describe';
  /** 'S' prepared statement, 'P' portal. */
  target: 'S' | 'P';
  name: string;
}
export interface Execute {
  type: 'Execute';
  portal: string;
  /** 0 means no limit. */
  maxRows: number;
}
export interface Close {
  type: 'Close';
  target: 'S' | 'P';
  name: string;
}
export interface Sync {
  type: 'Sync';
}
export interface Flush {
  type: 'Flush';
}
export interface Terminate {
  type: 'Terminate';
}
export interface CopyData {
  type: 'CopyData';
  data: Buffer;
}
export interface CopyDone {
  type: 'CopyDone';
}
export interface CopyFail {
  type: 'CopyFail';
  message: string;
}
export interface FunctionCall {
  type: 'FunctionCall';
  functionOid: number;
  argFormats: number[];
  args: (Buffer | null)[];
  resultFormat: number;
}

export type FrontendStartupMessage = StartupMessage | SSLRequest | GSSENCRequest | CancelRequest;
/** What a 'p' message means depends on the authentication request that preceded it. */
export type PasswordContext = 'password' | 'sasl-initial' | 'sasl';
export type FrontendPasswordMessage = PasswordMessage | SASLInitialResponse | SASLResponse;
export type FrontendMessage =
  | FrontendStartupMessage
  | FrontendPasswordMessage
  | Query
  | Parse
  | Bind
  | Describe
  | Execute
  | Close
  | Sync
  | Flush
  | Terminate
  | CopyData
  | CopyDone
  | CopyFail
  | FunctionCall;
