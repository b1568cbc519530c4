import {
  BackendCode,
  decodeReadyForQuery,
  FrontendCode,
  type Frame,
  type TransactionStatus,
} from '@postern/wire-postgres';

/** A portal the client bound, with the statement behind it. */
export interface PortalState {
  statement: string;
  /** Sync/Query count when it was bound: the ReadyForQuery that ends its transaction comes later. */
  boundAtSync: number;
}

/**
 * What the proxy knows about one session, kept current from the frames it forwards; the policy
 * (guardrails, approvals, recording) reads it. Only the few messages that change it are decoded.
 *
 * Prepared statements and portals are recorded as the client sends Parse/Bind/Close, not as the
 * server confirms them: a Parse the server rejects stays recorded until replaced or closed.
 * SQL-level PREPARE/DEALLOCATE are not tracked (they are statements, seen by the policy as such).
 */
export class PostgresSessionState {
  /** From the last ReadyForQuery: 'I' idle, 'T' in a transaction, 'E' in a failed one. */
  transactionStatus: TransactionStatus = 'I';
  /** Prepared statement name ('' is the unnamed one) → SQL. */
  readonly preparedStatements = new Map<string, string>();
  /** Portal name ('' is the unnamed one) → statement and when it was bound. */
  readonly portals = new Map<string, PortalState>();
  /** Query, Execute and FunctionCall messages sent by the client. */
  statementCount = 0;
  /** Protocol bytes received from the client (after TLS) and from the target. */
  bytesFromClient = 0;
  bytesFromTarget = 0;

  /** Sync and Query messages sent: each is answered by one ReadyForQuery. */
  private syncsSent = 0;
  private readiesReceived = 0;

  /** Called for every client → target frame of the proxy phase, before it is forwarded. */
  observeFrontend(frame: Frame): void {
    switch (frame.code) {
      case FrontendCode.Query:
        this.statementCount++;
        // A simple Query replaces the unnamed statement and portal.
        this.preparedStatements.delete('');
        this.portals.delete('');
        this.syncsSent++;
        break;
      case FrontendCode.Parse: {
        const [name, sql] = cstrings(frame.body, 2);
        this.preparedStatements.set(name, sql);
        break;
      }
      case FrontendCode.Bind: {
        const [portal, statement] = cstrings(frame.body, 2);
        this.portals.set(portal, { statement, boundAtSync: this.syncsSent });
        break;
      }
      case FrontendCode.Close: {
        const [name] = cstrings(frame.body.subarray(1), 1);
        if (frame.body[0] === 0x53) this.preparedStatements.delete(name);
        else this.portals.delete(name);
        break;
      }
      case FrontendCode.Execute:
      case FrontendCode.FunctionCall:
        this.statementCount++;
        break;
      case FrontendCode.Sync:
        this.syncsSent++;
        break;
    }
  }

  /** Called for every target → client frame of the proxy phase. */
  observeBackend(frame: Frame): void {
    if (frame.code !== BackendCode.ReadyForQuery) return;
    this.transactionStatus = decodeReadyForQuery(frame).status;
    this.readiesReceived++;
    // Idle means every portal bound before this point died with its transaction; portals the
    // client bound in a pipeline behind this Sync live on.
    if (this.transactionStatus === 'I') {
      for (const [name, portal] of this.portals) {
        if (portal.boundAtSync < this.readiesReceived) this.portals.delete(name);
      }
    }
  }
}

/**
 * The first `count` NUL-terminated strings of a body, as UTF-8. A missing terminator yields the
 * rest of the body: the server rejects such a message, and this state must never throw.
 */
function cstrings(body: Buffer, count: 1): [string];
function cstrings(body: Buffer, count: 2): [string, string];
function cstrings(body: Buffer, count: number): string[] {
  const values: string[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    let end = body.indexOf(0, offset);
    if (end < 0) end = body.length;
    values.push(body.toString('utf8', offset, end));
    offset = Math.min(end + 1, body.length);
  }
  return values;
}
