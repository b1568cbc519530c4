import {
  decodeCommand,
  decodeStmtExecute,
  MySqlProtocolError,
  PreparedStatements as StatementTable,
  type BinaryValue,
  type SessionCapabilities,
} from '@postern/wire-mysql';

/** Characters of one parameter kept in a recording. */
const MAX_RECORDED_PARAM = 256;

/**
 * The session's prepared statements on wire-mysql's table (parameter counts, bound types, long
 * data), by the id the target gave them, with their SQL: checked by the rules at PREPARE (so an
 * EXECUTE runs only what was allowed), read by masking, shown in recordings with the parameters.
 */
export class PreparedStatements {
  private readonly table = new StatementTable();

  constructor(private readonly capabilities: SessionCapabilities) {}

  /** A COM_STMT_PREPARE the target accepted. */
  prepared(ok: { statementId: number; paramCount: number; columnCount: number }, sql: string): void {
    this.table.add({ ...ok, warnings: 0 }, [], sql);
  }

  sql(statementId: number): string | null {
    return this.table.get(statementId)?.sql ?? null;
  }

  /**
   * A command about prepared statements the client sent (SEND_LONG_DATA, RESET, CLOSE,
   * RESET_CONNECTION): the table follows it. One that does not decode is the target's to refuse.
   */
  observe(payload: Buffer): void {
    try {
      this.table.observe(decodeCommand(payload, this.capabilities, this.table.lookup));
    } catch (error) {
      if (!(error instanceof MySqlProtocolError)) throw error;
    }
  }

  /**
   * The parameters of a COM_STMT_EXECUTE as text for the recording (bounded), the table
   * following its bound types; null when the statement is unknown or the packet cannot be read
   * (the target answers it with its own error).
   */
  params(statementId: number, payload: Buffer): string[] | null {
    const statement = this.table.get(statementId);
    if (statement === undefined) return null;
    try {
      const execute = decodeStmtExecute(payload, statement, this.capabilities);
      this.table.observe(execute);
      return execute.params.map((param) => shown(param.value));
    } catch (error) {
      if (error instanceof MySqlProtocolError) return null;
      throw error;
    }
  }
}

function shown(value: BinaryValue | string | undefined): string {
  if (value === undefined) return '(long data)';
  if (value === null) return 'NULL';
  let text: string;
  if (typeof value === 'string') text = value;
  else if (Buffer.isBuffer(value)) text = value.toString('utf8', 0, Math.min(value.length, MAX_RECORDED_PARAM * 4));
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = String(value);
  return text.length <= MAX_RECORDED_PARAM ? text : `${text.slice(0, MAX_RECORDED_PARAM)}…`;
}
