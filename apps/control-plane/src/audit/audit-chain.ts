import { createHash } from 'node:crypto';
import { withoutNul } from '../platform/common/validation.js';

/**
 * The audit log's hash chain. Pure functions: no I/O.
 *
 * `hash = sha256(prev_hash || canonical JSON of the content)`, over every audit event in seq
 * order; `prev_hash` of the first chained event is GENESIS (32 zero bytes). The canonical JSON is
 * one object with the content fields in this fixed order, no whitespace:
 *
 *   {"id","at","actorId","actorKind","kind","decision","connectionId","sessionId","agentId",
 *    "ruleId","policyVersion","details"}
 *
 * `at` is ISO 8601 UTC with milliseconds (`2026-01-02T03:04:05.678Z`), `policyVersion` a decimal
 * string or null, ids lowercase, absent values null, and `details` a JSON object whose keys are
 * sorted (by UTF-16 code units, at every depth). Strings and numbers are as JSON.stringify writes
 * them. This is what an external verifier of an export recomputes (docs/operations.md).
 */

export const AUDIT_HASH_BYTES = 32;
export const GENESIS = Buffer.alloc(AUDIT_HASH_BYTES);

/** The fields the hash covers (everything but seq and the hashes themselves). */
export interface AuditContent {
  id: string;
  at: Date;
  actorId: string | null;
  actorKind: string | null;
  kind: string;
  decision: string | null;
  connectionId: string | null;
  sessionId: string | null;
  agentId: string | null;
  ruleId: string | null;
  policyVersion: bigint | null;
  details: Record<string, unknown>;
}

/** An event as stored: content, position and links (hashes are null on rows older than the chain). */
export interface ChainedAuditRow extends AuditContent {
  seq: bigint;
  prevHash: Buffer | null;
  hash: Buffer | null;
}

export function canonicalJson(event: AuditContent): string {
  return (
    `{"id":${JSON.stringify(event.id)},"at":${JSON.stringify(event.at.toISOString())}` +
    `,"actorId":${JSON.stringify(event.actorId)},"actorKind":${JSON.stringify(event.actorKind)}` +
    `,"kind":${JSON.stringify(event.kind)},"decision":${JSON.stringify(event.decision)}` +
    `,"connectionId":${JSON.stringify(event.connectionId)},"sessionId":${JSON.stringify(event.sessionId)}` +
    `,"agentId":${JSON.stringify(event.agentId)},"ruleId":${JSON.stringify(event.ruleId)}` +
    `,"policyVersion":${JSON.stringify(event.policyVersion === null ? null : event.policyVersion.toString())}` +
    `,"details":${sortedJson(event.details)}}`
  );
}

export function auditHash(prevHash: Uint8Array, event: AuditContent): Buffer {
  return createHash('sha256').update(prevHash).update(canonicalJson(event), 'utf8').digest();
}

/**
 * The content exactly as PostgreSQL will give it back, so that the hash computed before the
 * insert is the one recomputed after a read: uuid columns come back lowercase, jsonb drops
 * `undefined` members, and Dates or other toJSON values inside details become their JSON form.
 */
export function normalizeContent(event: AuditContent): AuditContent {
  const lower = (value: string | null) => (value === null ? null : value.toLowerCase());
  const json = JSON.stringify(event.details ?? {});
  // Walked only when there is a NUL to replace (JSON spells it \u0000, in keys and values alike).
  const details = json.includes('\\u0000') ? nulFree(JSON.parse(json) as unknown) : (JSON.parse(json) as unknown);
  if (details === null || typeof details !== 'object' || Array.isArray(details)) {
    throw new TypeError('audit details must be a JSON object');
  }
  const text = (value: string | null) => (value === null ? null : withoutNul(value));
  return {
    ...event,
    id: event.id.toLowerCase(),
    kind: text(event.kind)!,
    actorId: text(event.actorId),
    actorKind: text(event.actorKind),
    decision: text(event.decision),
    ruleId: text(event.ruleId),
    connectionId: lower(event.connectionId),
    sessionId: lower(event.sessionId),
    agentId: lower(event.agentId),
    details: details as Record<string, unknown>,
  };
}

/**
 * PostgreSQL's text and jsonb cannot hold NUL: one from an agent or a client (a claimed session
 * id, a rule name) would fail the whole append, so it is stored as U+FFFD, in keys and values.
 */
function nulFree(value: unknown): unknown {
  if (typeof value === 'string') return withoutNul(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(nulFree);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k), nulFree(v)]));
}

/** JSON with object keys sorted at every depth (jsonb keeps its own key order, so order cannot count). */
function sortedJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => sortedJson(item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v)}`).join(',')}}`;
}
