import type { Logger } from '@postern/logging';
import {
  BackendCode,
  bindHead,
  commandTag,
  describeTarget,
  errorCodeAndMessage,
  executePortal,
  frontend,
  FrontendCode,
  parseHead,
  querySql,
  type Frame,
} from '@postern/wire-postgres';
import type { CatalogCache, CatalogQuery } from './catalog.js';
import { ActivityRecorder } from './filter/activity-recorder.js';
import { RequestMatcher } from './filter/request-matcher.js';
import { ResultMasking } from './filter/result-masking.js';
import { StatementGate } from './filter/statement-gate.js';
import type { FilterIo, FrameFilter, FrameVerdict } from './proxy.js';
import { SessionLookup } from './session-lookup.js';
import type { PostgresContext } from './rules.js';

export interface PolicyFilterDeps {
  context: PostgresContext;
  connectionId: string;
  catalog: CatalogCache;
  catalogQuery: CatalogQuery;
  logger: Logger;
}

/** Bytes of one text parameter kept in a recording. */
const MAX_RECORDED_PARAM = 1024;

/**
 * Enforces the session's policy on the wire, as a chain of stages over each frame:
 *  1. RequestMatcher — pairs every answer with the message that caused it (prepared statements,
 *     portals, what the server still owes);
 *  2. StatementGate — statement rules on every Query, Parse and FunctionCall before it reaches
 *     the target: allow, block, hold for approval (a refused statement becomes a stand-in the
 *     server rejects, whose error is swapped for ours);
 *  3. ResultMasking — masking of every RowDescription/DataRow, COPY and server message out of it;
 *  4. ActivityRecorder — one recorded `statement` event per Query or Execute, and the audit events.
 * This class only routes frames to the stages; frames are read through wire-postgres' views.
 */
export class PolicyFilter implements FrameFilter {
  private io: FilterIo | null = null;
  private readonly requests = new RequestMatcher();
  private readonly activity: ActivityRecorder;
  private readonly gate: StatementGate;
  private readonly masking: ResultMasking;
  /** Lookups on the session's own connection: what the tables of a COPY … TO STDOUT are. */
  private readonly lookup = new SessionLookup((bytes) => this.io?.toTarget(bytes));

  constructor(private readonly deps: PolicyFilterDeps) {
    const { context } = deps;
    this.activity = new ActivityRecorder(context, this.requests);
    const gate = (): StatementGate => this.gate;
    this.masking = new ResultMasking({
      context,
      connectionId: deps.connectionId,
      catalog: deps.catalog,
      catalogQuery: deps.catalogQuery,
      requests: this.requests,
      activity: this.activity,
      lookup: this.lookup,
      refuser: {
        refuse: (standIn, error) => gate().refuse(standIn, error),
        get clientEncoding() {
          return gate().clientEncoding;
        },
      },
    });
    this.gate = new StatementGate(context, this.activity, this.masking, () => this.io);
  }

  attach(io: FilterIo): void {
    this.io = io;
  }

  forwarded(frame: Frame): void {
    this.lookup.forwarded(frame);
  }

  /** The target's greeting (its ParameterStatus messages), seen before the proxy starts. */
  observeGreeting(frames: readonly Frame[]): void {
    for (const frame of frames) if (frame.code === BackendCode.ParameterStatus) this.gate.onParameterStatus(frame);
  }

  // ---------------------------------------------------------------- client → target

  fromClient(frame: Frame): FrameVerdict {
    switch (frame.code) {
      case FrontendCode.Query: {
        const sql = querySql(frame);
        this.requests.query(sql);
        return this.gate.enforce(sql, frame, (marker) => frontend.query(marker));
      }
      case FrontendCode.Parse: {
        const { name, sql } = parseHead(frame);
        this.requests.parse(name, sql);
        return this.gate.enforce(sql, frame, (marker) => frontend.parse({ name, sql: marker }));
      }
      case FrontendCode.Bind:
        this.requests.bind(bindHead(frame, MAX_RECORDED_PARAM));
        return frame.bytes;
      case FrontendCode.Describe: {
        const { target, name } = describeTarget(frame);
        this.requests.describe(target, name, this.masked());
        return frame.bytes;
      }
      case FrontendCode.Execute: {
        const { execute, describeFirst } = this.requests.execute(executePortal(frame), this.masked());
        const describe = describeFirst ? frontend.describe('P', execute.portal) : null;
        return this.masking.admitExecute(execute, describe, frame);
      }
      case FrontendCode.Sync:
        this.requests.sync();
        return frame.bytes;
      case FrontendCode.Close: {
        const { target, name } = describeTarget(frame);
        this.requests.close(target, name);
        return frame.bytes;
      }
      case FrontendCode.FunctionCall:
        this.requests.sync();
        return this.gate.functionCall(frame);
      default:
        return frame.bytes;
    }
  }

  // ---------------------------------------------------------------- target → client

  fromTarget(frame: Frame): FrameVerdict {
    if (this.lookup.fromTarget(frame)) return null;
    switch (frame.code) {
      case BackendCode.DataRow: {
        const current = this.requests.current;
        if (current !== null) current.rows++;
        return this.masking.dataRow(frame);
      }
      case BackendCode.RowDescription:
        return this.masking.rowDescription(frame);
      case BackendCode.NoData: {
        const answered = this.requests.describeAnswered();
        return answered?.hidden === true ? null : frame.bytes;
      }
      case BackendCode.CommandComplete:
      case BackendCode.PortalSuspended:
      case BackendCode.EmptyQueryResponse: {
        const finished = this.requests.completed(frame.code === BackendCode.CommandComplete ? commandTag(frame) : null);
        if (finished !== null) this.activity.record(finished);
        this.masking.resultEnded();
        return frame.bytes;
      }
      case BackendCode.CopyOutResponse:
        return this.masking.copyOut(frame);
      case BackendCode.CopyData:
        return this.masking.copyData(frame);
      case BackendCode.CopyDone:
        return this.masking.copyDone(frame);
      case BackendCode.ErrorResponse:
        return this.onError(frame);
      case BackendCode.NoticeResponse:
        return this.masking.scrubbed(frame);
      case BackendCode.ParameterStatus:
        this.gate.onParameterStatus(frame);
        return frame.bytes;
      case BackendCode.ReadyForQuery: {
        const query = this.requests.ready();
        if (query !== null) this.activity.record(query);
        this.masking.resultEnded();
        if (this.requests.idle) this.gate.idle();
        return frame.bytes;
      }
      default:
        return frame.bytes;
    }
  }

  /** The server's error, scrubbed and (for a stand-in) swapped for ours; it ends what it answers. */
  private onError(frame: Frame): Buffer {
    const bytes = this.gate.swapError(frame, this.masking.scrubbed(frame));
    const ended = this.requests.failed(errorCodeAndMessage(bytes));
    if (ended !== null) this.activity.record(ended);
    this.masking.resultEnded();
    return bytes;
  }

  private masked(): boolean {
    return this.deps.context.policy().masker !== null;
  }

  /**
   * The session is ending: statements sent to the server and never answered (the target died, the
   * client left mid-result) are recorded too, so the recording shows everything that reached it.
   */
  sessionEnded(reason: string): void {
    this.activity.sessionEnded(reason);
  }

  /** Per-rule counts for the session's closing audit event; null when no policy ever applied. */
  summary(): Record<string, unknown> | null {
    const masked: Record<string, number> = {};
    for (const masker of this.masking.maskers) {
      for (const [ruleId, n] of masker.counts) masked[ruleId] = (masked[ruleId] ?? 0) + n;
    }
    const { tally } = this.gate;
    if (this.masking.maskers.size === 0 && tally.refused.size === 0 && this.deps.context.policy().statements.empty) {
      return null;
    }
    return {
      statementsAllowed: tally.allowed,
      statementsRefusedByRule: Object.fromEntries(tally.refused),
      valuesMaskedByRule: masked,
    };
  }
}
