import {
  Capability,
  decodeErr,
  hasCapability,
  isResultSetEnd,
  MySqlProtocolError,
  ResponseHeader,
  ResponseReader as ServerResponses,
  type ColumnDefinition,
  type ExpectedResponse,
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
  /** COM_STATISTICS: one string. */
  | 'statistics'
  /** One OK/ERR (ping, init db, reset), or SET_OPTION's EOF. */
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
 * One command's response, packet by packet, on wire-mysql's ResponseReader (the codec says which
 * packet is which): where it ends, which packets are rows, the column definitions of each result
 * set, affected rows, the error if any, and the statement a result set answers in a
 * multi-statement text. Rows are not decoded here.
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
  /** Session state changes of the last OK read (CLIENT_SESSION_TRACK); the caller takes and clears it. */
  sessionState: Buffer | null = null;
  /** COM_STMT_PREPARE: the statement id and counts from PREPARE_OK. */
  prepared: { statementId: number; paramCount: number; columnCount: number } | null = null;
  private readonly server: ServerResponses;
  private readonly deprecateEof: boolean;
  private columnCount = 0;
  private fieldList: ColumnDefinition[] | null = null;

  constructor(
    readonly shape: ResponseShape,
    private readonly capabilities: SessionCapabilities,
    /** Binary rows (COM_STMT_EXECUTE results). */
    readonly binary = false,
  ) {
    this.deprecateEof = hasCapability(capabilities.flags, Capability.DEPRECATE_EOF);
    this.server = new ServerResponses(capabilities);
    if (shape === 'field-list') this.fieldList = [];
    else this.server.expect(expected(shape, binary));
  }

  /** The definitions of the current result set. */
  get columns(): readonly ColumnDefinition[] {
    return this.server.currentColumns;
  }

  /** Reads the next packet of the response; throws MySqlProtocolError on one that does not fit. */
  read(payload: Buffer): Part {
    if (this.done) throw new MySqlProtocolError('UNEXPECTED_MESSAGE', 'a packet after the end of a response');
    if (this.fieldList !== null) return this.fieldListPart(payload);
    const event = this.server.next(payload);
    let part: Part = Part.Other;
    switch (event.type) {
      case 'ok':
        this.rows += Number(event.ok.affectedRows);
        this.results++;
        if (event.ok.sessionState !== undefined) this.sessionState = event.ok.sessionState;
        break;
      case 'err':
        this.failed(event.err.code, event.err.sqlState, event.err.message);
        break;
      case 'local-infile':
        // The agent never offers LOCAL_FILES to the target: a server asking for a file is not one we talk to.
        throw new MySqlProtocolError('UNEXPECTED_MESSAGE', 'the target asked for a LOCAL INFILE');
      case 'result-set':
        this.columnCount = event.columnCount;
        if (!event.metadataFollows)
          throw new MySqlProtocolError('UNEXPECTED_MESSAGE', 'a result set without column definitions');
        break;
      case 'column':
        if (this.shape === 'results' && this.deprecateEof && event.index === this.columnCount - 1)
          part = Part.ColumnsComplete;
        break;
      case 'columns-end':
        if (event.cursor) throw new MySqlProtocolError('UNEXPECTED_MESSAGE', 'a cursor the agent did not allow');
        if (this.shape === 'results') part = Part.ColumnsComplete;
        break;
      case 'row':
        this.rows++;
        part = Part.Row;
        break;
      case 'result-end':
        this.results++;
        break;
      case 'prepare-ok':
        this.prepared = {
          statementId: event.ok.statementId,
          paramCount: event.ok.paramCount,
          columnCount: event.ok.columnCount,
        };
        break;
      default:
        break;
    }
    this.done = this.server.done;
    return part;
  }

  /** COM_FIELD_LIST (which the codec's reader does not follow): definitions up to an EOF, or ERR. */
  private fieldListPart(payload: Buffer): Part {
    if (payload[0] === ResponseHeader.ERR) {
      const err = decodeErr(payload);
      this.failed(err.code, err.sqlState, err.message);
    } else if (isResultSetEnd(payload, this.capabilities)) {
      this.done = true;
    }
    return Part.Other;
  }

  private failed(code: number, sqlState: string | undefined, message: string): void {
    this.error = { code: `${code}${sqlState === undefined ? '' : `/${sqlState}`}`, message };
    this.done = true;
  }
}

function expected(shape: Exclude<ResponseShape, 'field-list'>, binary: boolean): ExpectedResponse {
  switch (shape) {
    case 'results':
      return binary ? { command: 'execute' } : { command: 'query' };
    case 'prepare':
      return { command: 'prepare' };
    case 'statistics':
      return { command: 'statistics' };
    case 'single':
      return { command: 'simple' };
  }
}
