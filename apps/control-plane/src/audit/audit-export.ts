import { AUDIT_HASH_BYTES, type ChainedAuditRow } from './audit-chain.js';

/**
 * The export format (JSON Lines): one event per line, its content fields as the chain's canonical
 * form has them (audit-chain.ts) plus `seq`, `prevHash` and `hash` in hex, so that a copy kept
 * elsewhere can be verified without Postern. Pure functions: no I/O.
 */
export function exportLine(event: ChainedAuditRow): string {
  return `${JSON.stringify({
    seq: event.seq.toString(),
    id: event.id,
    at: event.at.toISOString(),
    actorId: event.actorId,
    actorKind: event.actorKind,
    kind: event.kind,
    decision: event.decision,
    connectionId: event.connectionId,
    sessionId: event.sessionId,
    agentId: event.agentId,
    ruleId: event.ruleId,
    policyVersion: event.policyVersion?.toString() ?? null,
    details: event.details,
    prevHash: event.prevHash?.toString('hex') ?? null,
    hash: event.hash?.toString('hex') ?? null,
  })}\n`;
}

export class ExportFormatError extends Error {
  override readonly name = 'ExportFormatError';
}

/** Reads one exported line back (for verifying a copy); throws ExportFormatError naming the line. */
export function parseExportLine(line: string, lineNumber: number): ChainedAuditRow {
  const fail = (why: string) => new ExportFormatError(`line ${lineNumber}: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw fail('not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail('not a JSON object');
  const v = value as Record<string, unknown>;
  const text = (key: string, nullable: boolean): string | null => {
    const field = v[key];
    if (typeof field === 'string') return field;
    if (nullable && field === null) return null;
    throw fail(`"${key}" must be a string${nullable ? ' or null' : ''}`);
  };
  const decimal = (key: string, nullable: boolean): bigint | null => {
    const field = text(key, nullable);
    if (field === null) return null;
    if (!/^\d{1,20}$/.test(field)) throw fail(`"${key}" must be a decimal string`);
    return BigInt(field);
  };
  const hex = (key: string): Buffer | null => {
    const field = text(key, true);
    if (field === null) return null;
    if (!new RegExp(`^[0-9a-f]{${AUDIT_HASH_BYTES * 2}}$`).test(field)) throw fail(`"${key}" must be 64 hex digits`);
    return Buffer.from(field, 'hex');
  };
  const at = new Date(text('at', false)!);
  if (Number.isNaN(at.getTime())) throw fail('"at" is not a date');
  const details = v['details'];
  if (details === null || typeof details !== 'object' || Array.isArray(details))
    throw fail('"details" must be an object');
  return {
    seq: decimal('seq', false)!,
    id: text('id', false)!,
    at,
    actorId: text('actorId', true),
    actorKind: text('actorKind', true),
    kind: text('kind', false)!,
    decision: text('decision', true),
    connectionId: text('connectionId', true),
    sessionId: text('sessionId', true),
    agentId: text('agentId', true),
    ruleId: text('ruleId', true),
    policyVersion: decimal('policyVersion', true),
    details: details as Record<string, unknown>,
    prevHash: hex('prevHash'),
    hash: hex('hash'),
  };
}
