import { isAgentAuditKind, type AuditEvent__Output } from '@postern/proto';
import { UUID } from '../platform/common/validation.js';

export const AUDIT_KIND = /^[a-z][a-z0-9_.]{1,63}$/;
const DECISION = /^[a-z][a-z0-9_]{0,31}$/;
const RULE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
export const MAX_DETAILS_BYTES = 16 * 1024;
/** Events stamped further from the control plane's clock than this are refused. */
const MAX_CLOCK_SKEW_MS = 7 * 86_400_000;
const EARLIEST_MS = Date.UTC(2020, 0, 1);

/** An agent's audit event, validated at the edge; the session is resolved by the caller. */
export interface ValidAgentEvent {
  id: string;
  sessionId: string | null;
  at: Date;
  kind: string;
  decision: string | null;
  ruleId: string | null;
  policyVersion: bigint | null;
  details: Record<string, unknown>;
}

/** Validates one event of an AuditEventBatch: the event, or why it is refused. */
export function validateAgentEvent(event: AuditEvent__Output, now: number): ValidAgentEvent | { refused: string } {
  if (!UUID.test(event.eventId)) return { refused: 'event_id is not a UUID' };
  if (event.sessionId !== '' && !UUID.test(event.sessionId)) return { refused: 'session_id is not a UUID' };
  if (!AUDIT_KIND.test(event.kind)) return { refused: 'kind must match /^[a-z][a-z0-9_.]{1,63}$/' };
  // Kinds such as session.opened or review.approved are the control plane's own word.
  if (!isAgentAuditKind(event.kind)) return { refused: `kind ${event.kind} is not one an agent reports` };
  if (event.decision !== '' && !DECISION.test(event.decision)) return { refused: 'decision is not a valid word' };
  if (event.ruleId !== '' && !RULE_ID.test(event.ruleId)) return { refused: 'rule_id is not a valid id' };
  const ms = Number(event.at?.unixMs ?? NaN);
  if (!Number.isSafeInteger(ms) || ms < EARLIEST_MS || Math.abs(ms - now) > MAX_CLOCK_SKEW_MS) {
    return { refused: 'at is missing or implausible' };
  }
  const details = parseDetails(event.detailsJson);
  if ('refused' in details) return details;
  return {
    id: event.eventId.toLowerCase(),
    sessionId: event.sessionId === '' ? null : event.sessionId.toLowerCase(),
    at: new Date(ms),
    kind: event.kind,
    decision: event.decision || null,
    ruleId: event.ruleId || null,
    policyVersion:
      /^\d{1,19}$/.test(event.policyVersion) && BigInt(event.policyVersion) <= 2n ** 63n - 1n
        ? BigInt(event.policyVersion)
        : null,
    details: details.value,
  };
}

function parseDetails(json: string): { value: Record<string, unknown> } | { refused: string } {
  if (json === '') return { value: {} };
  if (Buffer.byteLength(json, 'utf8') > MAX_DETAILS_BYTES) return { refused: 'details_json is larger than 16 KiB' };
  // PostgreSQL's jsonb cannot hold NUL characters; storing one would fail the whole batch.
  if (json.includes('\\u0000')) return { refused: 'details_json contains a NUL character' };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { refused: 'details_json is not valid JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { refused: 'details_json must be a JSON object' };
  }
  return { value: value as Record<string, unknown> };
}
