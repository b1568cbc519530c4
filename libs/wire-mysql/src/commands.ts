// Client commands (the command phase): one decoder and one encoder per command, and
// `decodeCommand` / `encodeCommand` over the union. Every command payload starts with its
// command byte (`Command.*`); the packet's sequence id is 0.
import {
  decodeQuery,
  decodeStmtExecute,
  encodeQuery,
  encodeStmtExecute,
  type PreparedStatementInfo,
  type QueryCommand,
  type StmtExecuteCommand,
} from './bound-commands.js';
import { hasCapability, type SessionCapabilities } from './capabilities.js';
import { Capability, Command } from './constants.js';
import { malformed, unexpected } from './errors.js';
import { PayloadReader } from './reader.js';
import { PayloadWriter } from './writer.js';

export interface ChangeUserCommand {
  type: 'ChangeUser';
  username: string;
  authResponse: Buffer;
  database: string;
  /** Absent when the client ended the payload after the database. */
  characterSet?: number;
  authPluginName?: string;
  attributes?: [string, string][];
}

export type CommandMessage =
  | { type: 'Quit' }
  | { type: 'Ping' }
  | { type: 'ResetConnection' }
  | { type: 'Statistics' }
  | { type: 'Debug' }
  | { type: 'InitDb'; database: string }
  | QueryCommand
  | { type: 'StmtPrepare'; sql: string }
  | StmtExecuteCommand
  | { type: 'StmtSendLongData'; statementId: number; paramId: number; data: Buffer }
  | { type: 'StmtClose'; statementId: number }
  | { type: 'StmtReset'; statementId: number }
  | { type: 'StmtFetch'; statementId: number; rowCount: number }
  | { type: 'SetOption'; option: number }
  | { type: 'ProcessKill'; connectionId: number }
  | ChangeUserCommand
  /** Any other command byte: the body is kept raw (a view). */
  | { type: 'Other'; command: number; body: Buffer };

const SIMPLE: Record<number, CommandMessage['type']> = {
  [Command.QUIT]: 'Quit',
  [Command.PING]: 'Ping',
  [Command.RESET_CONNECTION]: 'ResetConnection',
  [Command.STATISTICS]: 'Statistics',
  [Command.DEBUG]: 'Debug',
};

/** The command byte of a command payload (cheap; undefined for an empty payload). */
export function commandOf(payload: Buffer): number | undefined {
  return payload[0];
}

/** The statement id of COM_STMT_EXECUTE/CLOSE/RESET/FETCH/SEND_LONG_DATA, without decoding the rest. */
export function statementIdOf(payload: Buffer): number {
  if (payload.length < 5) throw malformed('statement command: payload ends early');
  return payload.readUInt32LE(1);
}

/**
 * Decodes a client command. COM_STMT_EXECUTE needs the statement's parameter count (and the
 * types of its previous execute): `statement` looks them up by id; without it, or for an
 * unknown id, decoding an execute throws UNEXPECTED_MESSAGE (use `decodeStmtExecute`).
 */
export function decodeCommand(
  payload: Buffer,
  capabilities: SessionCapabilities,
  statement?: (statementId: number) => PreparedStatementInfo | undefined,
): CommandMessage {
  if (payload.length === 0) throw malformed('empty command payload');
  const command = payload[0]!;
  const simple = SIMPLE[command];
  if (simple !== undefined) {
    if (payload.length !== 1) throw malformed(`${simple}: unexpected trailing bytes`);
    return { type: simple } as CommandMessage;
  }
  const reader = new PayloadReader(payload, `command 0x${command.toString(16)}`, 1);
  switch (command) {
    case Command.INIT_DB:
      return { type: 'InitDb', database: reader.rest().toString('utf8') };
    case Command.QUERY:
      return decodeQuery(payload, capabilities);
    case Command.STMT_PREPARE:
      return { type: 'StmtPrepare', sql: reader.rest().toString('utf8') };
    case Command.STMT_EXECUTE: {
      const info = statement?.(statementIdOf(payload));
      if (info === undefined) throw unexpected('COM_STMT_EXECUTE for a statement this session did not prepare');
      return decodeStmtExecute(payload, info, capabilities);
    }
    case Command.STMT_SEND_LONG_DATA: {
      const statementId = reader.u32();
      return { type: 'StmtSendLongData', statementId, paramId: reader.u16(), data: reader.rest() };
    }
    case Command.STMT_CLOSE:
    case Command.STMT_RESET: {
      const statementId = reader.u32();
      reader.end();
      return { type: command === Command.STMT_CLOSE ? 'StmtClose' : 'StmtReset', statementId };
    }
    case Command.STMT_FETCH: {
      const statementId = reader.u32();
      const rowCount = reader.u32();
      reader.end();
      return { type: 'StmtFetch', statementId, rowCount };
    }
    case Command.SET_OPTION: {
      const option = reader.u16();
      reader.end();
      return { type: 'SetOption', option };
    }
    case Command.PROCESS_KILL: {
      const connectionId = reader.u32();
      reader.end();
      return { type: 'ProcessKill', connectionId };
    }
    case Command.CHANGE_USER:
      return decodeChangeUser(payload, capabilities);
    default:
      return { type: 'Other', command, body: payload.subarray(1) };
  }
}

export function encodeCommand(message: CommandMessage, capabilities: SessionCapabilities): Buffer {
  switch (message.type) {
    case 'Quit':
      return Buffer.from([Command.QUIT]);
    case 'Ping':
      return Buffer.from([Command.PING]);
    case 'ResetConnection':
      return Buffer.from([Command.RESET_CONNECTION]);
    case 'Statistics':
      return Buffer.from([Command.STATISTICS]);
    case 'Debug':
      return Buffer.from([Command.DEBUG]);
    case 'InitDb':
      return new PayloadWriter().u8(Command.INIT_DB).bytes(message.database).finish();
    case 'Query':
      return encodeQuery(message, capabilities);
    case 'StmtPrepare':
      return new PayloadWriter(1 + message.sql.length).u8(Command.STMT_PREPARE).bytes(message.sql).finish();
    case 'StmtExecute':
      return encodeStmtExecute(message, capabilities);
    case 'StmtSendLongData':
      return new PayloadWriter(7 + message.data.length)
        .u8(Command.STMT_SEND_LONG_DATA)
        .u32(message.statementId)
        .u16(message.paramId)
        .bytes(message.data)
        .finish();
    case 'StmtClose':
      return new PayloadWriter(5).u8(Command.STMT_CLOSE).u32(message.statementId).finish();
    case 'StmtReset':
      return new PayloadWriter(5).u8(Command.STMT_RESET).u32(message.statementId).finish();
    case 'StmtFetch':
      return new PayloadWriter(9).u8(Command.STMT_FETCH).u32(message.statementId).u32(message.rowCount).finish();
    case 'SetOption':
      return new PayloadWriter(3).u8(Command.SET_OPTION).u16(message.option).finish();
    case 'ProcessKill':
      return new PayloadWriter(5).u8(Command.PROCESS_KILL).u32(message.connectionId).finish();
    case 'ChangeUser':
      return encodeChangeUser(message, capabilities);
    case 'Other':
      return new PayloadWriter(1 + message.body.length).u8(message.command).bytes(message.body).finish();
  }
}

// ------------------------------------------------------------------ COM_CHANGE_USER

export function decodeChangeUser(payload: Buffer, capabilities: SessionCapabilities): ChangeUserCommand {
  const reader = new PayloadReader(payload, 'COM_CHANGE_USER');
  if (reader.u8() !== Command.CHANGE_USER) throw unexpected('expected COM_CHANGE_USER');
  const flags = capabilities.flags;
  const username = reader.cstring();
  const authResponse = hasCapability(flags, Capability.SECURE_CONNECTION)
    ? reader.bytes(reader.u8())
    : reader.cstringBytes();
  const message: ChangeUserCommand = { type: 'ChangeUser', username, authResponse, database: reader.cstring() };
  if (reader.remaining > 0) {
    message.characterSet = reader.u16();
    if (hasCapability(flags, Capability.PLUGIN_AUTH) && reader.remaining > 0) message.authPluginName = reader.cstring();
    if (hasCapability(flags, Capability.CONNECT_ATTRS) && reader.remaining > 0) {
      const attrs = new PayloadReader(reader.lenencBytes(), 'connection attributes');
      const attributes: [string, string][] = [];
      while (attrs.remaining > 0) attributes.push([attrs.lenencString(), attrs.lenencString()]);
      message.attributes = attributes;
    }
  }
  reader.end();
  return message;
}

export function encodeChangeUser(message: Omit<ChangeUserCommand, 'type'>, capabilities: SessionCapabilities): Buffer {
  const flags = capabilities.flags;
  const writer = new PayloadWriter(64).u8(Command.CHANGE_USER).cstring(message.username);
  if (hasCapability(flags, Capability.SECURE_CONNECTION)) {
    if (message.authResponse.length > 0xff) throw new RangeError('auth response is at most 255 bytes');
    writer.u8(message.authResponse.length).bytes(message.authResponse);
  } else {
    writer.cstring(message.authResponse);
  }
  writer.cstring(message.database);
  // The tail is optional as a whole; once written, MariaDB requires the attributes whenever
  // CONNECT_ATTRS is in force (without them it answers "Unknown command"), so they default to none.
  const withPlugin = hasCapability(flags, Capability.PLUGIN_AUTH);
  const withAttributes = hasCapability(flags, Capability.CONNECT_ATTRS);
  const tail =
    message.characterSet !== undefined ||
    (withPlugin && message.authPluginName !== undefined) ||
    (withAttributes && message.attributes !== undefined);
  if (!tail) return writer.finish();
  writer.u16(message.characterSet ?? 0);
  if (withPlugin && (message.authPluginName !== undefined || withAttributes))
    writer.cstring(message.authPluginName ?? '');
  if (withAttributes) {
    const attrs = new PayloadWriter();
    for (const [key, value] of message.attributes ?? []) attrs.lenencBytes(key).lenencBytes(value);
    writer.lenencBytes(attrs.finish());
  }
  return writer.finish();
}
