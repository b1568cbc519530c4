import {
  Capability,
  decodeColumnCount,
  decodeColumnDefinition,
  decodeErr,
  decodeOk,
  decodeResultSetEnd,
  decodeStmtPrepareOk,
  hasCapability,
  isResultSetEnd,
  MySqlProtocolError,
  ResponseHeader,
  ServerStatus,
  type ColumnDefinition,
  type SessionCapabilities,
} from '@postern/wire-mysql';

/** The shape of the answer a command gets (MySQL answers every command in order, one at a time). */
export type ResponseShape =
  /** COM_QUERY, COM_STMT_EXECUTE: OK, ERR, or result sets (text / binary rows), chained by MORE_RESULTS_EXISTS. */
  | 'results'
  /** COM_STMT_PREPARE: ERR, or PREPARE_OK and its parameter and column definitions. */
  | 'prepare'
  /** COM_FIELD_LIST: column definitions up to an EOF, or ERR. */
  | 'field-list'
  /** One packet: OK/ERR (ping, init db, reset, set option), the COM_STATISTICS string. */
  | 'single';

/** What one packet of a response was. */
export const Part = {
  Other: 0,
  /** The packet that completes a result set's column definitions: `columns` is complete, rows follow. */
  ColumnsComplete: 1,
  Row: 2,
} as const;
export type Part = (typeof Part)[keyof typeof Part];

/**
 * Follows one command's response packet by packet: where it ends, which packets are rows, the
 * column definitions of each result set, affected rows and the error if any. Decodes only the
 * headers and metadata; rows are not decoded here.
 */
export class ResponseReader {
  done = false;
  /** Rows of every result set, or affected rows of OK packets. */
  rows = 0;
  /**
   * Results completed so far (an OK or a result set each; one per statement of a multi-statement
   * text): while a result set's columns arrive, the index of its statement.
   */
  results = 0;
  error: { code: string; message: string } | null = null;
  columns: ColumnDefinition[] = [];
  /** Binary rows (COM_STMT_EXECUTE results). */
  readonly binary: boolean;
  /** COM_STMT_PREPARE: the statement id and counts from PREPARE_OK. */
  prepared: { statementId: number; paramCount: number; columnCount: number } | null = null;
  private phase: 'first' | 'columns' | 'columns-eof' | 'rows' | 'prepare-rest' | 'field-list' = 'first';
  private columnCount = 0;
  private remaining = 0;
  private readonly deprecateEof: boolean;

  constructor(
    readonly shape: ResponseShape,
    private readonly capabilities: SessionCapabilities,
    binary = false,
  ) {
    this.binary = binary;
    this.deprecateEof = hasCapability(capabilities.flags, Capability.DEPRECATE_EOF);
    if (shape === 'field-list') this.phase = 'field-list';
  }

  /** Reads the next packet of the response; throws MySqlProtocolError on one that does not fit. */
  read(payload: Buffer): Part {
    if (this.done) throw new MySqlProtocolError('UNEXPECTED_MESSAGE', 'a packet after the end of a response');
    switch (this.phase) {
      case 'first':
        return this.first(payload);
      case 'columns':
        this.columns.push(decodeColumnDefinition(payload, this.capabilities));
        if (this.columns.length < this.columnCount) return Part.Other;
        this.phase = this.deprecateEof ? 'rows' : 'columns-eof';
        return this.deprecateEof ? Part.ColumnsComplete : Part.Other;
      case 'columns-eof':
        if (payload[0] !== ResponseHeader.EOF)
          throw new MySqlProtocolError('UNEXPECTED_MESSAGE', 'expected EOF after columns');
        this.phase = 'rows';
        return Part.ColumnsComplete;
      case 'rows':
        if (payload[0] === ResponseHeader.ERR) return this.failed(payload);
        if (isResultSetEnd(payload, this.capabilities)) {
          this.more(decodeResultSetEnd(payload, this.capabilities).statusFlags);
          return Part.Other;
        }
        this.rows++;
        return Part.Row;
      case 'prepare-rest':
        if (--this.remaining === 0) this.done = true;
        return Part.Other;
      case 'field-list':
        if (payload[0] === ResponseHeader.ERR) return this.failed(payload);
        if (isResultSetEnd(payload, this.capabilities)) this.done = true;
        return Part.Other;
    }
  }

  private first(payload: Buffer): Part {
    const header = payload[0];
    if (header === ResponseHeader.ERR) return this.failed(payload);
    if (this.shape === 'single') {
      this.done = true;
      return Part.Other;
    }
    if (this.shape === 'prepare') {
      const ok = decodeStmtPrepareOk(payload);
      this.prepared = { statementId: ok.statementId, paramCount: ok.paramCount, columnCount: ok.columnCount };
      const eofs = this.deprecateEof ? 0 : Number(ok.paramCount > 0) + Number(ok.columnCount > 0);
      this.remaining = ok.paramCount + ok.columnCount + eofs;
      if (this.remaining === 0) this.done = true;
      else this.phase = 'prepare-rest';
      return Part.Other;
    }
    if (header === ResponseHeader.OK) {
      const ok = decodeOk(payload, this.capabilities);
      this.rows += Number(ok.affectedRows);
      this.more(ok.statusFlags);
      return Part.Other;
    }
    if (header === ResponseHeader.LOCAL_INFILE) {
      // The agent never offers LOCAL_FILES to the target: a server asking for a file is not one we talk to.
      throw new MySqlProtocolError('UNEXPECTED_MESSAGE', 'the target asked for a LOCAL INFILE');
    }
    this.columnCount = decodeColumnCount(payload, this.capabilities).columnCount;
    this.columns = [];
    this.phase = 'columns';
    return Part.Other;
  }

  private failed(payload: Buffer): Part {
    const err = decodeErr(payload);
    this.error = { code: `${err.code}${err.sqlState === undefined ? '' : `/${err.sqlState}`}`, message: err.message };
    this.done = true;
    return Part.Other;
  }

  /** A result's end: the next result follows (multi-statements, procedures) or the response is over. */
  private more(statusFlags: number): void {
    this.results++;
    if ((statusFlags & ServerStatus.MORE_RESULTS_EXISTS) !== 0) this.phase = 'first';
    else this.done = true;
  }
}
