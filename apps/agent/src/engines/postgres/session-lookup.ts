import { randomBytes } from 'node:crypto';
import { BackendCode, decodeDataRow, FrontendCode, frontend, type Frame } from '@postern/wire-postgres';

/** How a lookup on the session's connection ended. */
export type LookupOutcome =
  /** The lookup ran: its rows, text values. */
  | { kind: 'rows'; rows: (string | null)[][] }
  /** The session is in a failed transaction: the lookup was not sent (it, and the statement, would fail). */
  | { kind: 'failed-transaction' }
  /** An earlier message of the open pipeline failed: the server skips everything to the Sync, the lookup too. */
  | { kind: 'pipeline-failed' }
  /** The lookup itself failed (a cancel, a timeout): its ErrorResponse went to the client in the statement's place. */
  | { kind: 'failed' };

/** The answers a forwarded extended-protocol message ends with (Execute: CommandComplete and the like). */
type Pending = 'parse' | 'bind' | 'close' | 'describe' | 'execute';

interface Running {
  /** The lookup ends with its own Sync (between pipelines) rather than a Flush (inside one). */
  sync: boolean;
  /** True once every answer owed to the client came: the frames now are the lookup's. */
  ours: boolean;
  rows: (string | null)[][];
  closes: number;
  failed: boolean;
  resolve(outcome: LookupOutcome): void;
}

/**
 * Runs a read-only query on the session's own target connection, in the gap in front of a client
 * message the filter holds (the proxy forwards nothing from the client meanwhile), and consumes
 * its whole answer so the client never sees it. That is how a name is resolved exactly as the
 * session resolves it: its temporary tables, its uncommitted ones, its search_path.
 *
 * It keeps its own account of what the server still owes the client, from the messages the
 * proxy actually forwarded: ReadyForQuery for each Sync, Query and FunctionCall, and one answer
 * per Parse, Bind, Close, Describe and Execute of the pipeline still open. The lookup is written
 * once every ReadyForQuery owed has arrived; its own answers are then the ones after the open
 * pipeline's. Between pipelines it is its own Parse/Bind/Execute/Close + Sync; inside one it ends
 * with a Flush instead (a Sync, like a simple Query, would end the client's implicit transaction),
 * under statement and portal names of its own so the client's unnamed ones are untouched.
 */
export class SessionLookup {
  /** ReadyForQuery messages owed for forwarded Sync, Query and FunctionCall messages. */
  private readyOwed = 0;
  /** Answers owed for the pipeline opened since the last Sync/Query forwarded, in order. */
  private readonly pipeline: Pending[] = [];
  /** Whether an extended-protocol message was forwarded since the last Sync/Query. */
  private pipelineOpen = false;
  /** Whether a message of the open pipeline failed: the server skips to its Sync. */
  private pipelineFailed = false;
  private status = 'I';
  private quiet: (() => void) | null = null;
  private running: Running | null = null;

  constructor(private readonly toTarget: (bytes: Buffer) => void) {}

  /** A client message the proxy forwarded to the target (after the filter's verdict). */
  forwarded(frame: Frame): void {
    switch (frame.code) {
      case FrontendCode.Sync:
      case FrontendCode.Query:
      case FrontendCode.FunctionCall:
        this.readyOwed++;
        this.pipeline.length = 0;
        this.pipelineOpen = false;
        this.pipelineFailed = false;
        return;
      case FrontendCode.Parse:
        return this.open('parse');
      case FrontendCode.Bind:
        return this.open('bind');
      case FrontendCode.Close:
        return this.open('close');
      case FrontendCode.Describe:
        return this.open('describe');
      case FrontendCode.Execute:
        return this.open('execute');
      default:
    }
  }

  private open(pending: Pending): void {
    this.pipelineOpen = true;
    if (!this.pipelineFailed) this.pipeline.push(pending);
  }

  /**
   * Every target frame, before the filter handles it. True: the frame answers the lookup and
   * must not reach the client.
   */
  fromTarget(frame: Frame): boolean {
    if (this.readyOwed > 0) {
      if (frame.code === BackendCode.ReadyForQuery) {
        this.status = String.fromCharCode(frame.body[0] ?? 0x49);
        if (--this.readyOwed === 0 && this.quiet !== null) {
          const quiet = this.quiet;
          this.quiet = null;
          quiet();
        }
      }
      return false;
    }
    const running = this.running;
    if (running?.ours) return this.answer(running, frame);
    this.followPipeline(frame);
    if (running !== null && this.pipelineFailed) {
      this.finish({ kind: 'pipeline-failed' });
    } else if (running !== null && this.pipeline.length === 0) {
      running.ours = true;
    }
    return false;
  }

  /** An answer of the open pipeline (the client's): which owed answer it settles. */
  private followPipeline(frame: Frame): void {
    const head = this.pipeline[0];
    switch (frame.code) {
      case BackendCode.ParseComplete:
        if (head === 'parse') this.pipeline.shift();
        return;
      case BackendCode.BindComplete:
        if (head === 'bind') this.pipeline.shift();
        return;
      case BackendCode.CloseComplete:
        if (head === 'close') this.pipeline.shift();
        return;
      // The Describe in front of an Execute that the filter adds answers while the Execute is the head.
      case BackendCode.RowDescription:
      case BackendCode.NoData:
        if (head === 'describe') this.pipeline.shift();
        return;
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
      case BackendCode.PortalSuspended:
        if (head === 'execute') this.pipeline.shift();
        return;
      case BackendCode.ErrorResponse:
        if (this.pipelineOpen) {
          this.pipelineFailed = true;
          this.pipeline.length = 0;
        }
        return;
      case BackendCode.ReadyForQuery:
        this.status = String.fromCharCode(frame.body[0] ?? 0x49);
        return;
      default:
    }
  }

  /** A frame once the client's answers are all in: the lookup's, or an asynchronous message. */
  private answer(running: Running, frame: Frame): boolean {
    switch (frame.code) {
      case BackendCode.ParseComplete:
      case BackendCode.BindComplete:
      case BackendCode.CommandComplete:
        return true;
      case BackendCode.DataRow:
        running.rows.push(decodeDataRow(frame).values.map((v) => (v === null ? null : v.toString('utf8'))));
        return true;
      case BackendCode.CloseComplete:
        if (++running.closes === 2 && !running.sync) this.finish({ kind: 'rows', rows: running.rows });
        return true;
      case BackendCode.ErrorResponse:
        // The client gets the server's own error (a cancel it asked for, a timeout) for its statement.
        running.failed = true;
        if (!running.sync) {
          this.pipelineOpen = true;
          this.pipelineFailed = true;
          this.finish({ kind: 'failed' });
        }
        return false;
      case BackendCode.ReadyForQuery:
        if (!running.sync) return false;
        this.status = String.fromCharCode(frame.body[0] ?? 0x49);
        this.finish(running.failed ? { kind: 'failed' } : { kind: 'rows', rows: running.rows });
        // After a failure this ReadyForQuery ends the client's statement, which is dropped.
        return !running.failed;
      default:
        // NoticeResponse, ParameterStatus, NotificationResponse: the session's, not the lookup's.
        return false;
    }
  }

  private finish(outcome: LookupOutcome): void {
    const running = this.running;
    this.running = null;
    running?.resolve(outcome);
  }

  /**
   * Runs `sql` (no parameters, text results) in front of the held message: a Query, or an
   * Execute (never followed by a Sync of ours: its portal lives in the client's transaction).
   * One lookup at a time (the held message stops the client's lane).
   */
  async run(sql: string, held: 'query' | 'execute'): Promise<LookupOutcome> {
    if (this.running !== null || this.quiet !== null) throw new Error('a session lookup is already running');
    // Also moves the write out of the filter's fromClient: the proxy writes the frames it
    // accepted before the held one first, so the lookup never overtakes them.
    await new Promise<void>((resolve) => {
      if (this.readyOwed === 0) resolve();
      else this.quiet = resolve;
    });
    if (this.pipelineFailed) return { kind: 'pipeline-failed' };
    if (this.status === 'E' && !this.pipelineOpen) return { kind: 'failed-transaction' };
    const sync = held === 'query' && !this.pipelineOpen;
    const name = `postern_lookup_${randomBytes(8).toString('hex')}`;
    const outcome = new Promise<LookupOutcome>((resolve) => {
      this.running = { sync, ours: this.pipeline.length === 0, rows: [], closes: 0, failed: false, resolve };
    });
    this.toTarget(
      Buffer.concat([
        frontend.parse({ name, sql }),
        frontend.bind({ portal: name, statement: name }),
        frontend.execute(name),
        frontend.close('P', name),
        frontend.close('S', name),
        sync ? frontend.sync() : frontend.flush(),
      ]),
    );
    return outcome;
  }
}
