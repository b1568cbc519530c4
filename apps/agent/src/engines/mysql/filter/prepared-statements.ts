import {
  decodeStmtExecute,
  MySqlProtocolError,
  type BinaryValue,
  type ParamType,
  type SessionCapabilities,
} from '@postern/wire-mysql';

/** Characters of one parameter kept in a recording. */
const MAX_RECORDED_PARAM = 256;

interface Prepared {
  sql: string;
  paramCount: number;
  /** The types the last execute bound (an execute may reuse them without sending them). */
  paramTypes: ParamType[] | undefined;
  /** Parameters sent with COM_STMT_SEND_LONG_DATA since the last execute. */
  longData: Set<number>;
}

/**
 * The session's prepared statements, by the id the target gave them: their SQL (checked by the
 * rules at PREPARE, so an EXECUTE runs only what was allowed; masking reads its names) and what
 * decoding an EXECUTE's parameters needs, for the recording.
 */
export class PreparedStatements {
  private readonly byId = new Map<number, Prepared>();

  prepared(statementId: number, sql: string, paramCount: number): void {
    this.byId.set(statementId, { sql, paramCount, paramTypes: undefined, longData: new Set() });
  }

  sql(statementId: number): string | null {
    return this.byId.get(statementId)?.sql ?? null;
  }

  longData(statementId: number, paramId: number): void {
    this.byId.get(statementId)?.longData.add(paramId);
  }

  close(statementId: number): void {
    this.byId.delete(statementId);
  }

  /** COM_RESET_CONNECTION: the target forgot them all. */
  clear(): void {
    this.byId.clear();
  }

  /**
   * The parameters of a COM_STMT_EXECUTE as text for the recording (bounded), remembering the
   * types it bound; null when the statement is unknown or the packet cannot be read (the target
   * answers it with its own error).
   */
  params(statementId: number, payload: Buffer, capabilities: SessionCapabilities): string[] | null {
    const statement = this.byId.get(statementId);
    if (statement === undefined) return null;
    try {
      const execute = decodeStmtExecute(
        payload,
        { paramCount: statement.paramCount, paramTypes: statement.paramTypes, longDataParams: statement.longData },
        capabilities,
      );
      if (execute.newParamsBound)
        statement.paramTypes = execute.params.map(({ type, unsigned }) => ({ type, unsigned }));
      statement.longData.clear();
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
