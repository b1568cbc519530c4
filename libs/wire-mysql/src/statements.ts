// What a session must remember about its prepared statements to decode COM_STMT_EXECUTE
// (parameter count, the types bound by the last execute, parameters sent as long data) and to
// read execute results (the column definitions from the prepare, for masking and for MariaDB's
// cached metadata). Pure bookkeeping, fed with decoded messages.
import type { ParamType } from './binary-values.js';
import type { PreparedStatementInfo } from './bound-commands.js';
import type { CommandMessage } from './commands.js';
import type { ColumnDefinition, StmtPrepareOk } from './resultset.js';

export interface PreparedStatement extends PreparedStatementInfo {
  readonly statementId: number;
  readonly paramCount: number;
  /** The SQL the client prepared, when the caller gave it. */
  readonly sql?: string;
  /** The result columns announced by the prepare (empty for statements without a result). */
  columns: readonly ColumnDefinition[];
  paramTypes?: ParamType[];
  longDataParams: Set<number>;
}

/**
 * The prepared statements of one session. `add` after a successful COM_STMT_PREPARE response,
 * `observe` every command the client sends, and pass `lookup` to `decodeCommand`. The server
 * bounds how many statements exist (max_prepared_stmt_count): only prepares it accepted are added.
 */
export class PreparedStatements {
  private readonly byId = new Map<number, PreparedStatement>();

  /** For `decodeCommand(payload, caps, statements.lookup)`. */
  readonly lookup = (statementId: number): PreparedStatement | undefined => this.byId.get(statementId);

  get size(): number {
    return this.byId.size;
  }

  add(ok: StmtPrepareOk, columns: readonly ColumnDefinition[], sql?: string): PreparedStatement {
    const statement: PreparedStatement = {
      statementId: ok.statementId,
      paramCount: ok.paramCount,
      columns,
      longDataParams: new Set(),
      ...(sql === undefined ? {} : { sql }),
    };
    this.byId.set(ok.statementId, statement);
    return statement;
  }

  get(statementId: number): PreparedStatement | undefined {
    return this.byId.get(statementId);
  }

  /** Updates the table for a command the client sent (after it was decoded). */
  observe(command: CommandMessage): void {
    switch (command.type) {
      case 'StmtExecute': {
        const statement = this.byId.get(command.statementId);
        if (statement === undefined) return;
        if (command.newParamsBound) {
          statement.paramTypes = command.params
            .slice(0, statement.paramCount)
            .map(({ type, unsigned }) => ({ type, unsigned }));
        }
        statement.longDataParams.clear();
        return;
      }
      case 'StmtSendLongData':
        this.byId.get(command.statementId)?.longDataParams.add(command.paramId);
        return;
      case 'StmtReset':
        this.byId.get(command.statementId)?.longDataParams.clear();
        return;
      case 'StmtClose':
        this.byId.delete(command.statementId);
        return;
      case 'ResetConnection':
      case 'ChangeUser':
        // The server deallocates every statement of the session.
        this.byId.clear();
        return;
      default:
        return;
    }
  }
}
