import {
  BackendCode,
  decodeReadyForQuery,
  FrontendCode,
  type Frame,
  type TransactionStatus,
} from '@postern/wire-postgres';

/**
 * Counters and transaction status of one session, kept current from the frames the proxy
 * forwards, for the session's report. Prepared statements and portals are tracked by the
 * PolicyFilter, which pairs them with the server's answers.
 */
export class PostgresSessionState {
  /** From the last ReadyForQuery: 'I' idle, 'T' in a transaction, 'E' in a failed one. */
  transactionStatus: TransactionStatus = 'I';
  /** Query, Execute and FunctionCall messages sent by the client. */
  statementCount = 0;
  /** Protocol bytes received from the client (after TLS) and from the target. */
  bytesFromClient = 0;
  bytesFromTarget = 0;

  /** Called for every client → target frame of the proxy phase, before it is forwarded. */
  observeFrontend(frame: Frame): void {
    if (
      frame.code === FrontendCode.Query ||
      frame.code === FrontendCode.Execute ||
      frame.code === FrontendCode.FunctionCall
    ) {
      this.statementCount++;
    }
  }

  /** Called for every target → client frame of the proxy phase. */
  observeBackend(frame: Frame): void {
    if (frame.code === BackendCode.ReadyForQuery) this.transactionStatus = decodeReadyForQuery(frame).status;
  }
}
