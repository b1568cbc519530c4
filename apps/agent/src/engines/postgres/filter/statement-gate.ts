import { randomBytes } from 'node:crypto';
import type { StatementDecision } from '@postern/policy';
import { analyzeSql, type SessionMasker } from '@postern/policy-postgres';
import {
  decodeErrorResponse,
  decodeParameterStatus,
  ErrorField,
  errorResponse,
  frontend,
  noticeResponse,
  type Frame,
} from '@postern/wire-postgres';
import type { FilterIo, FrameVerdict } from '../proxy.js';
import { SqlStates } from '../session-end.js';
import type { ActivityRecorder } from './activity-recorder.js';
import type { PostgresContext } from '../rules.js';

/** Builds the message that replaces a refused one, around the marker statement `marker`. */
export type StandIn = (marker: string) => Buffer;

/** What the masking stage decides before a statement the rules allow reaches the server. */
export interface MaskingAdmission {
  /** Why masking cannot follow `sql` (then it is refused), or null (its lineage plan is kept). */
  refusal(sql: string, frame: Frame, masker: SessionMasker): string | null;
  /** A COPY … TO STDOUT of a table is resolved on the session's connection first. */
  admit(sql: string, frame: Frame, standIn: StandIn): FrameVerdict;
}

/** Prefix of the marker relation in a refused statement's stand-in (see `refuse`). */
const MARKER = 'postern_refused_';
export const MARKER_PATTERN = /postern_refused_[0-9a-f]{16}/;
/** The decision when no statement rule applies (one object, not one per statement). */
const ALLOW: StatementDecision = { action: 'allow' };

/**
 * Stage 2 of the policy filter: statement rules. Every Query, Parse and FunctionCall is checked
 * before it reaches the target: allowed, blocked, held for a human decision, or refused as
 * uncheckable.
 *
 * A refused statement is never dropped from the stream: it is replaced by a stand-in that the
 * server itself rejects at parse time (`SELECT postern_refused_<nonce>.refused`, a reference to a
 * FROM entry that cannot exist), and the server's error is swapped for ours on the way back.
 * The server therefore does exactly what PostgreSQL does for a failing statement — aborts the
 * transaction, skips the extended-protocol pipeline to the next Sync, answers ReadyForQuery with
 * the right status — and the client sees a 42501 that names the rule.
 */
export class StatementGate {
  /** Marker token → the ErrorResponse the client gets instead of the server's. */
  private readonly substitutions = new Map<string, Buffer>();
  readonly tally = { allowed: 0, refused: new Map<string, number>() };
  /**
   * Why SQL text cannot be checked right now, or null. The policy library reads SQL as UTF-8 with
   * standard-conforming strings; a session that changed either (so `'\''` or a multibyte
   * sequence means something else to the server) gets its statements refused while statement
   * rules apply, rather than checked under a reading the server does not share.
   */
  private uncheckable: string | null = null;
  private readonly settings = new Map<string, string>([
    ['standard_conforming_strings', 'on'],
    ['client_encoding', 'UTF8'],
  ]);

  constructor(
    private readonly context: PostgresContext,
    private readonly activity: ActivityRecorder,
    private readonly masking: MaskingAdmission,
    private readonly io: () => FilterIo | null,
  ) {}

  /** The session's client_encoding, as the server last reported it. */
  get clientEncoding(): string {
    return this.settings.get('client_encoding')!;
  }

  onParameterStatus(frame: Frame): void {
    const { name, value } = decodeParameterStatus(frame);
    if (name !== 'standard_conforming_strings' && name !== 'client_encoding') return;
    this.settings.set(name, value);
    const strings = this.settings.get('standard_conforming_strings')!.toLowerCase();
    const encoding = this.settings.get('client_encoding')!.toUpperCase().replace(/[-_]/g, '');
    this.uncheckable =
      strings !== 'on'
        ? 'standard_conforming_strings is off'
        : encoding !== 'UTF8'
          ? `client_encoding is ${this.settings.get('client_encoding')}, not UTF8`
          : null;
  }

  /**
   * The fast-path FunctionCall names a function by OID, out of reach of statement rules (it is
   * how clients drive large objects: lo_open, loread, lowrite). Refused whenever statement rules
   * apply to the session; the stand-in Query is answered like a FunctionCall (an error, then
   * ReadyForQuery).
   */
  functionCall(frame: Frame): FrameVerdict {
    if (this.context.policy().statements.empty) return frame.bytes;
    this.activity.audit('statement.blocked', 'blocked', undefined, { sql: '(FunctionCall)', reason: 'fast-path call' });
    return this.refuse((marker) => frontend.query(marker), {
      code: SqlStates.InsufficientPrivilege,
      message: 'Postern: fast-path function calls are not allowed on this connection',
    });
  }

  enforce(sql: string, frame: Frame, standIn: StandIn): FrameVerdict {
    const policy = this.context.policy();
    if (this.uncheckable !== null && !policy.statements.empty && !isSettingReset(sql)) {
      this.activity.blocked(sql, this.uncheckable);
      return this.refuse(standIn, {
        code: SqlStates.InsufficientPrivilege,
        message: `Postern cannot check statements while ${this.uncheckable}; reset it to use this connection`,
      });
    }
    const decision: StatementDecision = policy.statements.empty ? ALLOW : policy.statements.evaluate(sql);
    switch (decision.action) {
      case 'allow':
        return this.allowed(sql, frame, standIn, policy.masker);
      case 'block':
        this.count(decision.rule.id);
        this.activity.audit('statement.blocked', 'blocked', decision.rule.id, {
          sql: this.activity.shown(sql),
          rule: decision.rule.name,
          reason: decision.reason,
        });
        return this.refuse(standIn, {
          code: SqlStates.InsufficientPrivilege,
          message: `Postern rule "${decision.rule.name}" blocked this statement: ${decision.reason}`,
        });
      case 'invalid':
        return this.refuse(standIn, {
          code: SqlStates.SyntaxError,
          message: decision.message,
          // The library counts from 0; PostgreSQL's position field from 1.
          ...(decision.position === null ? {} : { position: decision.position + 1 }),
        });
      case 'hold':
        return this.hold(decision, sql, frame, standIn);
    }
  }

  /** A statement the rules let through goes on unless masking cannot follow it. */
  private allowed(sql: string, frame: Frame, standIn: StandIn, masker: SessionMasker | null): FrameVerdict {
    const refusal = masker === null ? null : this.masking.refusal(sql, frame, masker);
    if (refusal === null) {
      this.tally.allowed++;
      return this.masking.admit(sql, frame, standIn); // COPY … TO STDOUT of a table: resolved on the session's connection
    }
    this.activity.blocked(sql, refusal);
    return this.refuse(standIn, { code: SqlStates.InsufficientPrivilege, message: `Postern: ${refusal}` });
  }

  /** Holds the statement (and, by the proxy's lane, everything the client sent after it). */
  private async hold(
    decision: Extract<StatementDecision, { action: 'hold' }>,
    sql: string,
    frame: Frame,
    standIn: StandIn,
  ): Promise<Buffer | null> {
    const { rule } = decision;
    const shown = this.activity.shown(sql);
    const { reviewId, outcome } = this.context.requestApproval({ rule, command: shown });
    this.activity.audit('statement.held', 'held', rule.id, { sql: shown, reviewId, reason: decision.reason });
    this.io()?.toClient(
      noticeResponse({
        severity: 'NOTICE',
        code: '01000',
        message: `Postern: this statement awaits approval (review ${reviewId})`,
        detail: `Rule "${rule.name}" holds it: ${decision.reason}. Waiting up to ${rule.timeoutSeconds} s.`,
      }),
    );
    const result = await outcome;
    if (result.outcome === 'cancelled') return null;
    const details = { reviewId, decidedBy: result.decidedBy, comment: result.comment };
    if (result.outcome === 'approved') {
      this.tally.allowed++;
      this.activity.audit('statement.approved', 'approved', rule.id, details);
      const masker = this.context.policy().masker;
      const refusal = masker === null ? null : this.masking.refusal(sql, frame, masker);
      if (refusal !== null) {
        this.activity.blocked(sql, refusal);
        return this.refuse(standIn, { code: SqlStates.InsufficientPrivilege, message: `Postern: ${refusal}` });
      }
      return await this.masking.admit(sql, frame, standIn); // COPY … TO STDOUT of a table: resolved on the session's connection
    }
    this.count(rule.id);
    this.activity.audit(`statement.${result.outcome}`, result.outcome, rule.id, details);
    const why =
      result.outcome === 'rejected'
        ? `rejected by ${result.decidedBy || 'a reviewer'}${result.comment ? `: ${result.comment}` : ''}`
        : 'no approval in time';
    return this.refuse(standIn, {
      code: SqlStates.InsufficientPrivilege,
      message: `Postern: statement not approved (review ${reviewId}): ${why}`,
    });
  }

  /** The stand-in for a refused statement; its server error will be swapped for `error`. */
  refuse(standIn: StandIn, error: { code: string; message: string; position?: number }): Buffer {
    const token = `${MARKER}${randomBytes(8).toString('hex')}`;
    this.substitutions.set(token, errorResponse({ severity: 'ERROR', ...error }));
    return standIn(`SELECT ${token}.refused`);
  }

  /** The server's error about one of our stand-ins becomes our own; any other passes as `bytes`. */
  swapError(frame: Frame, bytes: Buffer): Buffer {
    if (this.substitutions.size === 0) return bytes;
    const message = decodeErrorResponse(frame).fields[ErrorField.Message] ?? '';
    const token = MARKER_PATTERN.exec(message)?.[0];
    const ours = token === undefined ? undefined : this.substitutions.get(token);
    if (ours === undefined) return bytes;
    this.substitutions.delete(token!);
    return ours;
  }

  /** Nothing is owed any more: stand-ins not answered (skipped by the server) are forgotten. */
  idle(): void {
    // Map#clear allocates a fresh table even when empty: at every ReadyForQuery that showed (3 %).
    if (this.substitutions.size > 0) this.substitutions.clear();
  }

  private count(ruleId: string): void {
    this.tally.refused.set(ruleId, (this.tally.refused.get(ruleId) ?? 0) + 1);
  }
}

/**
 * A lone SET/RESET in plain ASCII with no backslash reads the same under any string setting:
 * that is how a session that made itself uncheckable gets back (`RESET standard_conforming_strings`).
 */
function isSettingReset(sql: string): boolean {
  if (!/^[\x20-\x7e\t\r\n]*$/.test(sql) || sql.includes('\\')) return false;
  const analysis = analyzeSql(sql);
  return (
    analysis.ok &&
    analysis.statements.length === 1 &&
    analysis.statements[0]!.kinds.some((kind) => kind === 'SET' || kind === 'RESET')
  );
}
