import {
  Capability,
  Command,
  decodeTextRow,
  hasCapability,
  MySqlProtocolError,
  packet,
  PACKET_HEADER_SIZE,
  statementIdOf,
  type Message,
  type SessionCapabilities,
} from '@postern/wire-mysql';
import { analyzeSql } from '@postern/policy-mysql';
import type { FilterIo, FrameFilter, FrameVerdict } from '../../common/proxy.js';
import { errorCode, Errors, errPacket, SessionEnd, type MysqlError } from '../errors.js';
import type { MysqlContext } from '../rules.js';
import { Part, ResponseReader, type ResponseShape } from './response-reader.js';
import { PreparedStatements } from './prepared-statements.js';
import { ResultMasking } from './result-masking.js';
import type { RowMasker } from './row-masker.js';
import { Activity } from './activity.js';
import { ClientCharset } from './client-charset.js';
import { databaseRefusal, StatementGate, type GateVerdict } from './statement-gate.js';
import { ViewGuard } from './view-guard.js';

/** What a refused command becomes on its way to the target: COM_PING, answered by one OK we replace. */
const STAND_IN = packet(Buffer.of(Command.PING), 0);

/** A command forwarded to the target, waiting for (or reading) its response. */
interface Request {
  kind: 'query' | 'prepare' | 'execute' | 'other' | 'refused' | 'lookup';
  reader: ResponseReader;
  sql: string | null;
  statementId: number | null;
  /** COM_STMT_EXECUTE: its parameters as text, for the recording. */
  params: string[] | null;
  startedAt: number;
  /** A refused command's ERR, sent in place of its stand-in's answer. */
  replacement: Buffer | null;
  rowMasker: RowMasker | null;
  /** Packets added (or removed) by rewritten rows that crossed 16 MiB: later packets are renumbered. */
  shift: number;
  /** A lookup of the filter's own: its rows, and what waits for them. The client sees none of it. */
  lookup: { rows: (string | null)[][]; settle(error: Error | null): void } | null;
}

export interface MysqlFilterOptions {
  context: MysqlContext;
  capabilities: SessionCapabilities;
  /** The connection's own database at the target, and the name clients use for it. */
  database: string;
  connectionName: string;
  /** The collation of the client's handshake (how the server reads its statements at first). */
  characterSet: number;
}

/**
 * The policy filter of a MySQL session, one stage per concern on the kit's proxy loop:
 * 1. commands (here): what the engine follows is forwarded, the rest refused (COM_CHANGE_USER,
 *    binlog, cursors, another database); prepared statements kept (PreparedStatements);
 * 2. statements (StatementGate): COM_QUERY and COM_STMT_PREPARE checked by the rules (allowed,
 *    blocked, held for a human); a refused command reaches the target as COM_PING, whose answer
 *    is replaced by our ERR, so answers stay in order behind pipelined commands;
 * 3. responses (ResponseReader, RowMasker): each command's answer followed to its end, rows of
 *    result sets masked by column and detectors;
 * 4. activity (Activity): a `statement` recording event per COM_QUERY/COM_STMT_EXECUTE, audit
 *    events for decisions, a summary at the end.
 */
export class MysqlFilter implements FrameFilter<Message, Message> {
  private readonly queue: Request[] = [];
  private readonly statements: PreparedStatements;
  private readonly activity: Activity;
  private readonly gate: StatementGate;
  private readonly masking: ResultMasking;
  private readonly charset: ClientCharset;
  private readonly views: ViewGuard;
  private io: FilterIo | null = null;
  /** Waiting for every forwarded command to be answered (a lookup goes in the gap). */
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: MysqlFilterOptions) {
    this.activity = new Activity(options.context);
    this.gate = new StatementGate(options.context, this.activity, options);
    this.masking = new ResultMasking(options.context);
    this.statements = new PreparedStatements(options.capabilities);
    this.views = new ViewGuard((sql) => this.lookup(sql), options.database);
    this.charset = new ClientCharset(
      options.characterSet,
      hasCapability(options.capabilities.flags, Capability.SESSION_TRACK),
    );
  }

  /**
   * Refusals travel as stand-ins; the only bytes of the filter's own are lookups to the target,
   * written while the client lane waits on the statement they are for.
   */
  attach(io: FilterIo): void {
    this.io = io;
  }

  fromClient(frame: Message): FrameVerdict {
    try {
      return this.command(frame);
    } catch (error) {
      // A command too short for its own layout: the client's mistake, answered as the server would.
      if (!(error instanceof MySqlProtocolError)) throw error;
      return this.refuse(
        (frame.lastSequenceId + 1) & 0xff,
        Errors.MalformedPacket,
        `Malformed packet: ${error.message}`,
      );
    }
  }

  private command(frame: Message): FrameVerdict {
    const payload = frame.payload;
    const reply = (frame.lastSequenceId + 1) & 0xff;
    switch (payload[0]) {
      case Command.QUIT:
        return frame.bytes;
      case Command.STMT_SEND_LONG_DATA:
      case Command.STMT_CLOSE:
        // No answer comes to these: a malformed one cannot be refused in turn, it ends the session.
        if (payload.length < (payload[0] === Command.STMT_CLOSE ? 5 : 7)) {
          const message = 'Malformed packet: a statement command without its statement id';
          throw new SessionEnd('protocol_error', message, { code: errorCode(Errors.MalformedPacket), message });
        }
        this.statements.observe(payload);
        return frame.bytes;
      case Command.QUERY:
        return this.statement(frame, this.charset.decode(payload, 1), 'query', reply);
      case Command.STMT_PREPARE:
        return this.statement(frame, this.charset.decode(payload, 1), 'prepare', reply);
      case Command.STMT_EXECUTE:
        return this.execute(frame, reply);
      case Command.RESET_CONNECTION:
      case Command.STMT_RESET:
        this.statements.observe(payload);
        return this.forward(frame, 'single');
      case Command.PING:
      case Command.SET_OPTION:
        return this.forward(frame, 'single');
      case Command.STATISTICS:
        return this.forward(frame, 'statistics');
      case Command.FIELD_LIST:
        return this.forward(frame, 'field-list');
      case Command.INIT_DB:
        return this.initDb(frame, reply);
      case Command.CHANGE_USER:
        return this.refuse(
          reply,
          Errors.CommandDenied,
          'Postern: COM_CHANGE_USER is not allowed: open a new connection with another credential',
        );
      default:
        return this.refuse(
          reply,
          Errors.UnknownCommand,
          `Postern does not allow command 0x${(payload[0] ?? 0).toString(16)} on this connection`,
        );
    }
  }

  fromTarget(frame: Message): FrameVerdict {
    const request = this.queue[0];
    if (request === undefined) return frame.bytes; // unsolicited (a server shutting down the connection)
    const part = this.readResponse(request, frame.payload);
    if (request.lookup !== null) return this.lookupAnswer(request, part, frame.payload);
    if (request.reader.sessionState !== null) {
      this.charset.observe(request.reader.sessionState);
      request.reader.sessionState = null;
    }
    let out: Buffer | null =
      request.shift === 0 ? frame.bytes : packet(frame.payload, frame.sequenceId + request.shift);
    if (request.replacement !== null) out = request.replacement;
    else if (part === Part.ColumnsComplete) {
      const { reader } = request;
      request.rowMasker = this.masking.rowMasker(request.sql, reader.results, reader.columns, reader.binary);
    } else if (part === Part.Row && request.rowMasker !== null) {
      const masked = request.rowMasker.mask(frame.payload, frame.sequenceId + request.shift);
      if (masked !== null) {
        request.shift += packetsIn(masked) - frame.packetCount;
        out = masked;
      }
    }
    if (request.reader.done) {
      this.queue.shift();
      this.answered(request);
      if (this.queue.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
    return out;
  }

  /** A packet of a lookup's answer: rows kept, nothing passed on to the client. */
  private lookupAnswer(request: Request, part: Part, payload: Buffer): null {
    const lookup = request.lookup!;
    if (part === Part.Row) {
      const cells = decodeTextRow(payload, request.reader.columns.length);
      lookup.rows.push(cells.map((cell) => (cell === null ? null : cell.toString('utf8'))));
    }
    if (request.reader.done) {
      this.queue.shift();
      const { error } = request.reader;
      lookup.settle(error === null ? null : new Error(error.message));
      if (this.queue.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
    return null;
  }

  /**
   * A read-only query on the session's own target connection, once every forwarded command has
   * been answered (MySQL answers in order: its answer is then the next). Only called while the
   * client lane waits on a statement's verdict, so nothing of the client's goes out meanwhile.
   */
  private async lookup(sql: string): Promise<(string | null)[][]> {
    const io = this.io;
    if (io === null) throw new Error('the filter is not attached');
    while (this.queue.length > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    return new Promise((resolve, reject) => {
      const request = this.request('lookup', new ResponseReader('results', this.options.capabilities), null);
      const rows: (string | null)[][] = [];
      request.lookup = { rows, settle: (error) => (error === null ? resolve(rows) : reject(error)) };
      this.queue.push(request);
      io.toTarget(packet(Buffer.concat([Buffer.of(Command.QUERY), Buffer.from(sql, 'utf8')]), 0));
    });
  }

  /** The next packet of a response; one that does not fit ends the session as a target protocol error. */
  private readResponse(request: Request, payload: Buffer): Part {
    try {
      return request.reader.read(payload);
    } catch (error) {
      if (!(error instanceof MySqlProtocolError)) throw error;
      throw new SessionEnd('protocol_error', `invalid packet from the target: ${error.message}`, {
        code: errorCode(Errors.AbortingConnection),
        message: 'invalid packet from the target server',
      });
    }
  }

  /** The session ends: commands the target never answered are recorded as such. */
  sessionEnded(reason: string): void {
    for (const request of this.queue.splice(0)) {
      if (request.lookup !== null) {
        request.lookup.settle(new Error(`the session ended (${reason})`));
        continue;
      }
      request.reader.error ??= {
        code: 'unanswered',
        message: `the session ended (${reason}) before the server answered`,
      };
      this.answered(request);
    }
  }

  /** The session's per-rule policy counts (null when no policy applied). */
  summary(): Record<string, unknown> | null {
    const masked: Record<string, number> = {};
    for (const masker of this.masking.maskers) {
      masker.rules.forEach((rule, index) => {
        const n = masker.counts[index]!;
        if (n > 0) masked[rule.id] = (masked[rule.id] ?? 0) + n;
      });
    }
    if (
      this.masking.maskers.size === 0 &&
      this.gate.tally.refused.size === 0 &&
      this.options.context.policy().statements.empty
    ) {
      return null;
    }
    return {
      statementsAllowed: this.gate.tally.allowed,
      statementsRefusedByRule: Object.fromEntries(this.gate.tally.refused),
      valuesMaskedByRule: masked,
    };
  }

  // ------------------------------------------------------------------ commands

  private forward(
    frame: Message,
    shape: ResponseShape,
    kind: Request['kind'] = 'other',
    sql: string | null = null,
  ): Buffer {
    this.queue.push(this.request(kind, new ResponseReader(shape, this.options.capabilities, kind === 'execute'), sql));
    return frame.bytes;
  }

  private execute(frame: Message, reply: number): FrameVerdict {
    const id = statementIdOf(frame.payload);
    if (frame.payload.length > 5 && frame.payload[5] !== 0) {
      return this.refuse(
        reply,
        Errors.CommandDenied,
        'Postern: server-side cursors (COM_STMT_EXECUTE with a cursor type) are not supported',
      );
    }
    const request = this.request(
      'execute',
      new ResponseReader('results', this.options.capabilities, true),
      this.statements.sql(id),
    );
    request.statementId = id;
    request.params = this.statements.params(id, frame.payload);
    this.queue.push(request);
    return frame.bytes;
  }

  /**
   * COM_INIT_DB: the connection is scoped to its database. The connection's name (what the client
   * logged in with) and the target database itself are accepted (sent as the target database);
   * any other is refused, whatever the target user's grants.
   */
  private initDb(frame: Message, reply: number): FrameVerdict {
    const wanted = frame.payload.toString('utf8', 1);
    const { database, connectionName } = this.options;
    if (wanted === database) return this.forward(frame, 'single');
    if (wanted === connectionName) {
      this.queue.push(this.request('other', new ResponseReader('single', this.options.capabilities), null));
      return packet(Buffer.concat([Buffer.of(Command.INIT_DB), Buffer.from(database)]), frame.sequenceId);
    }
    this.activity.audit('statement.blocked', 'blocked', undefined, {
      sql: `COM_INIT_DB ${wanted.slice(0, 64)}`,
      reason: 'another database',
    });
    return this.refuse(reply, Errors.DatabaseAccessDenied, databaseRefusal(wanted, this.options));
  }

  private admitted(frame: Message, sql: string, kind: 'query' | 'prepare'): Buffer {
    return kind === 'query'
      ? this.forward(frame, 'results', 'query', sql)
      : this.forward(frame, 'prepare', 'prepare', sql);
  }

  /** `USE <connection name>` reaches the target as a `USE` of the connection's database. */
  private useDatabase(frame: Message, sql: string): Buffer {
    this.queue.push(this.request('query', new ResponseReader('results', this.options.capabilities), sql));
    const text = `USE \`${this.options.database.replaceAll('`', '``')}\``;
    return packet(Buffer.concat([Buffer.of(Command.QUERY), Buffer.from(text)]), frame.sequenceId);
  }

  private refuse(reply: number, error: MysqlError, message: string): Buffer {
    const request = this.request('refused', new ResponseReader('single', this.options.capabilities), null);
    request.replacement = errPacket(error, message, reply);
    this.queue.push(request);
    return STAND_IN;
  }

  private request(kind: Request['kind'], reader: ResponseReader, sql: string | null): Request {
    return {
      kind,
      reader,
      sql,
      statementId: null,
      params: null,
      startedAt: Date.now(),
      replacement: null,
      rowMasker: null,
      shift: 0,
      lookup: null,
    };
  }

  // ------------------------------------------------------------------ statements

  private statement(frame: Message, sql: string, kind: 'query' | 'prepare', reply: number): FrameVerdict {
    const unreadable = this.options.context.policy().statements.empty ? null : this.charset.refusal(sql);
    if (unreadable !== null) {
      this.activity.blocked(sql, unreadable);
      return this.refuse(reply, Errors.StatementDenied, unreadable);
    }
    const verdict = this.gate.check(sql);
    return verdict instanceof Promise
      ? verdict.then((settled) => this.apply(settled, frame, sql, kind, reply))
      : this.apply(verdict, frame, sql, kind, reply);
  }

  private apply(
    verdict: GateVerdict,
    frame: Message,
    sql: string,
    kind: 'query' | 'prepare',
    reply: number,
  ): FrameVerdict {
    switch (verdict.action) {
      case 'admit': {
        const refusal = this.masking.refusal(sql);
        if (refusal !== null) {
          this.activity.blocked(sql, refusal);
          return this.refuse(reply, Errors.StatementDenied, `Postern: ${refusal}`);
        }
        if (kind === 'query' && this.gate.usesConnectionName(sql)) return this.useDatabase(frame, sql);
        const masker = this.options.context.policy().masker;
        if (masker !== null && masker.hasColumnRules) {
          const facts = analyzeSql(sql);
          const relations = facts.ok ? facts.all.flatMap((statement) => statement.relations) : [];
          if (relations.length > 0) {
            return this.views.refusal(masker, relations).then((why) => {
              if (why === null) return this.admitted(frame, sql, kind);
              this.activity.blocked(sql, why);
              return this.refuse(reply, Errors.StatementDenied, `Postern: ${why}`);
            });
          }
        }
        return this.admitted(frame, sql, kind);
      }
      case 'refuse':
        return this.refuse(reply, verdict.error, verdict.message);
      case 'drop':
        return null;
    }
  }

  // ------------------------------------------------------------------ responses

  private answered(request: Request): void {
    const { reader } = request;
    if (request.kind === 'prepare' && reader.prepared !== null && request.sql !== null) {
      this.statements.prepared(reader.prepared, request.sql);
    }
    if (request.kind === 'query' && reader.error === null && request.sql !== null) {
      const switched = this.charset.pending(request.sql);
      if (switched !== null) this.charset.switched(switched);
    }
    if (request.kind !== 'query' && request.kind !== 'execute') return;
    const { sql, statementId, params, startedAt } = request;
    this.activity.record({
      kind: request.kind,
      sql,
      statementId,
      params,
      startedAt,
      rows: reader.rows,
      error: reader.error,
    });
  }
}

/** How many packets a framed message spans (a rewritten row of 16 MiB or more takes several). */
function packetsIn(bytes: Buffer): number {
  let count = 0;
  for (let at = 0; at < bytes.length; count++) at += PACKET_HEADER_SIZE + bytes.readUIntLE(at, 3);
  return count;
}
