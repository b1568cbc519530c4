// Which server packet is which, after a command: a small state machine over payloads that tells
// a proxy where a result set's definitions, rows and end are, with the column definitions a row
// needs for masking. It decodes only the packets that steer it (OK, ERR, column count and
// definitions, ends); rows are reported, not decoded.
import { hasCapability, type SessionCapabilities } from './capabilities.js';
import { Capability, ResponseHeader, ServerStatus } from './constants.js';
import { MySqlProtocolError } from './errors.js';
import {
  decodeEof,
  decodeErr,
  decodeOk,
  decodeResultSetEnd,
  isResultSetEnd,
  type EofPacket,
  type ErrPacket,
  type OkPacket,
} from './responses.js';
import {
  decodeColumnCount,
  decodeColumnDefinition,
  decodeLocalInfileRequest,
  decodeStmtPrepareOk,
  type ColumnDefinition,
  type StmtPrepareOk,
} from './resultset.js';

/** The command whose response comes next. Commands without a response (QUIT, STMT_CLOSE, SEND_LONG_DATA) have none. */
export type ExpectedResponse =
  /** COM_QUERY: OK, ERR, LOCAL INFILE request, or text result sets (several with MORE_RESULTS_EXISTS). */
  | { command: 'query' }
  /**
   * COM_STMT_EXECUTE: OK, ERR or binary result sets. `columns`: the definitions from the
   * statement's prepare, used when the server leaves them out (MariaDB CACHE_METADATA).
   */
  | { command: 'execute'; columns?: readonly ColumnDefinition[] }
  /** COM_STMT_FETCH: binary rows of the open cursor (definitions from its execute), then an end. */
  | { command: 'fetch'; columns: readonly ColumnDefinition[] }
  /** COM_STMT_PREPARE: COM_STMT_PREPARE_OK, parameter and column definitions, or ERR. */
  | { command: 'prepare' }
  /** COM_STATISTICS: one human-readable string. */
  | { command: 'statistics' }
  /** Commands answered by one OK or ERR (PING, INIT_DB, RESET_CONNECTION, STMT_RESET, …), or EOF (SET_OPTION). */
  | { command: 'simple' };

export type ResponseEvent =
  /** `more`: another result follows (MORE_RESULTS_EXISTS). */
  | { type: 'ok'; ok: OkPacket; more: boolean }
  | { type: 'err'; err: ErrPacket }
  /** COM_STATISTICS' answer. */
  | { type: 'statistics'; text: string }
  /** COM_SET_OPTION's answer (an EOF packet, in either EOF mode). */
  | { type: 'eof'; eof: EofPacket }
  /** The client now sends the file's contents; the server's OK or ERR follows. */
  | { type: 'local-infile'; filename: string }
  | { type: 'result-set'; columnCount: number; metadataFollows: boolean }
  | { type: 'column'; index: number; column: ColumnDefinition }
  /** The EOF after the definitions (without CLIENT_DEPRECATE_EOF); `cursor`: a cursor was opened, rows come by FETCH. */
  | { type: 'columns-end'; cursor: boolean }
  /** A row: scan it with `scanTextRow` / `scanBinaryRow` against `columns`. */
  | { type: 'row'; format: 'text' | 'binary'; columns: readonly ColumnDefinition[] }
  | { type: 'result-end'; end: EofPacket; more: boolean }
  | { type: 'prepare-ok'; ok: StmtPrepareOk }
  | { type: 'param'; index: number; column: ColumnDefinition }
  | { type: 'params-end' };

type State =
  | 'idle'
  | 'first'
  | 'columns'
  | 'columns-eof'
  | 'rows'
  | 'prepare-ok'
  | 'prepare-params'
  | 'prepare-params-eof'
  | 'prepare-columns'
  | 'prepare-columns-eof';

/**
 * Follows the server's packets for one command at a time: `expect(command)` when the command is
 * sent, then `next(payload)` for every server message until `done`. Throws
 * `MySqlProtocolError('UNEXPECTED_MESSAGE')` for a packet outside any response.
 */
export class ResponseReader {
  private state: State = 'idle';
  private format: 'text' | 'binary' = 'text';
  private simple = false;
  private statistics = false;
  private cached: readonly ColumnDefinition[] | undefined;
  private columns: ColumnDefinition[] = [];
  private remaining = 0;
  private prepareColumns = 0;
  private params = 0;

  constructor(private readonly capabilities: SessionCapabilities) {}

  /** Whether the last expected response is complete. */
  get done(): boolean {
    return this.state === 'idle';
  }

  /** The definitions of the current result set (rows use them), or of a prepared statement's result once its prepare is done. */
  get currentColumns(): readonly ColumnDefinition[] {
    return this.columns;
  }

  expect(expected: ExpectedResponse): void {
    if (this.state !== 'idle') {
      throw new MySqlProtocolError(
        'UNEXPECTED_MESSAGE',
        `a new command while the previous response is in state ${this.state}`,
      );
    }
    this.simple = expected.command === 'simple';
    this.statistics = expected.command === 'statistics';
    this.format = expected.command === 'execute' || expected.command === 'fetch' ? 'binary' : 'text';
    this.cached = expected.command === 'execute' || expected.command === 'fetch' ? expected.columns : undefined;
    if (expected.command === 'fetch') {
      this.columns = [...expected.columns];
      this.state = 'rows';
    } else {
      this.state = expected.command === 'prepare' ? 'prepare-ok' : 'first';
    }
  }

  next(payload: Buffer): ResponseEvent {
    switch (this.state) {
      case 'idle':
        throw new MySqlProtocolError('UNEXPECTED_MESSAGE', 'a server packet outside any response');
      case 'first':
        return this.first(payload);
      case 'columns':
        return this.column(payload);
      case 'columns-eof':
        return this.columnsEof(payload);
      case 'rows':
        return this.row(payload);
      default:
        return this.prepare(payload);
    }
  }

  private get deprecateEof(): boolean {
    return hasCapability(this.capabilities.flags, Capability.DEPRECATE_EOF);
  }

  private first(payload: Buffer): ResponseEvent {
    const header = payload[0];
    if (this.statistics) {
      this.state = 'idle';
      return header === ResponseHeader.ERR ? this.err(payload) : { type: 'statistics', text: payload.toString('utf8') };
    }
    if (header === ResponseHeader.OK) {
      const ok = decodeOk(payload, this.capabilities);
      return { type: 'ok', ok, more: this.endOrMore(ok.statusFlags) };
    }
    if (header === ResponseHeader.ERR) return this.err(payload);
    if (this.simple) {
      // An EOF is 5 bytes; an OK with the 0xFE header at least 7.
      if (header !== ResponseHeader.EOF || payload.length >= 7) {
        throw new MySqlProtocolError('UNEXPECTED_MESSAGE', 'expected OK, EOF or ERR');
      }
      this.state = 'idle';
      return { type: 'eof', eof: decodeEof(payload, this.capabilities) };
    }
    if (header === ResponseHeader.LOCAL_INFILE && this.format === 'text') {
      return { type: 'local-infile', filename: decodeLocalInfileRequest(payload) };
    }
    const { columnCount, metadataFollows } = decodeColumnCount(payload, this.capabilities);
    if (metadataFollows) {
      this.columns = [];
      this.remaining = columnCount;
      this.state = 'columns';
    } else {
      if (this.cached === undefined || this.cached.length !== columnCount) {
        throw new MySqlProtocolError(
          'UNEXPECTED_MESSAGE',
          'the server left out column definitions that were not cached',
        );
      }
      this.columns = [...this.cached];
      this.state = 'rows';
    }
    return { type: 'result-set', columnCount, metadataFollows };
  }

  private column(payload: Buffer): ResponseEvent {
    const column = decodeColumnDefinition(payload, this.capabilities);
    const index = this.columns.length;
    this.columns.push(column);
    if (--this.remaining === 0) this.state = this.deprecateEof ? 'rows' : 'columns-eof';
    return { type: 'column', index, column };
  }

  private columnsEof(payload: Buffer): ResponseEvent {
    const eof = decodeEof(payload, this.capabilities);
    const cursor = (eof.statusFlags & ServerStatus.CURSOR_EXISTS) !== 0;
    this.state = cursor ? 'idle' : 'rows';
    return { type: 'columns-end', cursor };
  }

  private row(payload: Buffer): ResponseEvent {
    if (payload[0] === ResponseHeader.ERR) return this.err(payload);
    if (isResultSetEnd(payload, this.capabilities)) {
      const end = decodeResultSetEnd(payload, this.capabilities);
      return { type: 'result-end', end, more: this.endOrMore(end.statusFlags) };
    }
    return { type: 'row', format: this.format, columns: this.columns };
  }

  private prepare(payload: Buffer): ResponseEvent {
    switch (this.state) {
      case 'prepare-ok': {
        if (payload[0] === ResponseHeader.ERR) return this.err(payload);
        const ok = decodeStmtPrepareOk(payload);
        // MySQL 8 OPTIONAL_RESULTSET_METADATA may leave all definitions out.
        const follows = ok.metadataFollows !== false;
        this.prepareColumns = follows ? ok.columnCount : 0;
        this.params = 0;
        this.enterParams(follows ? ok.paramCount : 0);
        return { type: 'prepare-ok', ok };
      }
      case 'prepare-params': {
        const index = this.params++;
        const column = decodeColumnDefinition(payload, this.capabilities);
        if (--this.remaining === 0) {
          if (this.deprecateEof) this.enterColumns();
          else this.state = 'prepare-params-eof';
        }
        return { type: 'param', index, column };
      }
      case 'prepare-params-eof':
        decodeEof(payload, this.capabilities);
        this.enterColumns();
        return { type: 'params-end' };
      case 'prepare-columns': {
        const index = this.columns.length;
        const column = decodeColumnDefinition(payload, this.capabilities);
        this.columns.push(column);
        if (--this.remaining === 0) this.state = this.deprecateEof ? 'idle' : 'prepare-columns-eof';
        return { type: 'column', index, column };
      }
      default:
        decodeEof(payload, this.capabilities);
        this.state = 'idle';
        return { type: 'columns-end', cursor: false };
    }
  }

  /** Parameter definitions, if any (no packets and no EOF when there are none). */
  private enterParams(count: number): void {
    if (count === 0) return this.enterColumns();
    this.state = 'prepare-params';
    this.remaining = count;
  }

  private enterColumns(): void {
    this.columns = [];
    if (this.prepareColumns === 0) {
      this.state = 'idle';
      return;
    }
    this.state = 'prepare-columns';
    this.remaining = this.prepareColumns;
  }

  private err(payload: Buffer): ResponseEvent {
    this.state = 'idle';
    return { type: 'err', err: decodeErr(payload) };
  }

  /** After an OK or an end: another result, or the response is complete. */
  private endOrMore(statusFlags: number): boolean {
    const more = (statusFlags & ServerStatus.MORE_RESULTS_EXISTS) !== 0 && !this.simple;
    this.state = more ? 'first' : 'idle';
    return more;
  }
}
