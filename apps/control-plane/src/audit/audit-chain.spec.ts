import { createHash } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { GENESIS, auditHash, canonicalJson, normalizeContent, type AuditContent } from './audit-chain.js';

const EVENT: AuditContent = {
  id: '6F1C1D4E-8A43-4A1B-9D0E-3C1F2B4A5D6E',
  at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
  actorId: 'bootstrap-admin',
  actorKind: 'admin',
  kind: 'guardrail.created',
  decision: null,
  connectionId: null,
  sessionId: '0B6A7C2D-1E3F-4A5B-8C9D-0E1F2A3B4C5D',
  agentId: null,
  ruleId: 'r1',
  policyVersion: 42n,
  details: { zeta: 1, alpha: { b: [3, { y: 1, x: 2 }], a: 'é' }, gone: undefined },
};

describe('canonicalJson', () => {
  test('fixed field order, sorted details keys at every depth, ISO instant, decimal policy version', () => {
    expect(canonicalJson(normalizeContent(EVENT))).toBe(
      '{"id":"6f1c1d4e-8a43-4a1b-9d0e-3c1f2b4a5d6e","at":"2026-01-02T03:04:05.678Z","actorId":"bootstrap-admin",' +
        '"actorKind":"admin","kind":"guardrail.created","decision":null,"connectionId":null,' +
        '"sessionId":"0b6a7c2d-1e3f-4a5b-8c9d-0e1f2a3b4c5d","agentId":null,"ruleId":"r1","policyVersion":"42",' +
        '"details":{"alpha":{"a":"é","b":[3,{"x":2,"y":1}]},"zeta":1}}',
    );
  });

  test('the hash is sha256(prev || canonical JSON)', () => {
    const event = normalizeContent(EVENT);
    const expected = createHash('sha256')
      .update(Buffer.concat([GENESIS, Buffer.from(canonicalJson(event), 'utf8')]))
      .digest();
    expect(auditHash(GENESIS, event)).toEqual(expected);
  });

  test('details survive a trip through JSON (as jsonb gives them back) with the same hash, whatever their key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (details) => {
        const stored = normalizeContent({ ...EVENT, details });
        const reread = { ...stored, details: JSON.parse(JSON.stringify(stored.details)) as Record<string, unknown> };
        const reversed = { ...stored, details: Object.fromEntries(Object.entries(reread.details).reverse()) };
        expect(auditHash(GENESIS, reread)).toEqual(auditHash(GENESIS, stored));
        expect(auditHash(GENESIS, reversed)).toEqual(auditHash(GENESIS, stored));
      }),
    );
  });

  test('every content field counts', () => {
    const base = normalizeContent(EVENT);
    const hash = auditHash(GENESIS, base);
    const changes: Partial<AuditContent>[] = [
      { id: '6f1c1d4e-8a43-4a1b-9d0e-3c1f2b4a5d6f' },
      { at: new Date(base.at.getTime() + 1) },
      { actorId: 'someone' },
      { actorKind: 'user' },
      { kind: 'guardrail.deleted' },
      { decision: 'blocked' },
      { connectionId: '0b6a7c2d-1e3f-4a5b-8c9d-0e1f2a3b4c5e' },
      { sessionId: null },
      { agentId: '0b6a7c2d-1e3f-4a5b-8c9d-0e1f2a3b4c5e' },
      { ruleId: null },
      { policyVersion: 43n },
      { details: { zeta: 2, alpha: base.details['alpha'] } },
    ];
    for (const change of changes) expect(auditHash(GENESIS, { ...base, ...change })).not.toEqual(hash);
    expect(auditHash(Buffer.alloc(32, 1), base)).not.toEqual(hash);
  });

  test('NUL characters, which PostgreSQL text and jsonb refuse, are stored as U+FFFD in keys, values and text fields', () => {
    const event = normalizeContent({
      ...EVENT,
      kind: 'k\0',
      ruleId: '\0',
      details: { 'a\0': ['x\0y', { b: '\0' }], n: 1 },
    });
    expect(event.kind).toBe('k\uFFFD');
    expect(event.ruleId).toBe('\uFFFD');
    expect(event.details).toEqual({ 'a\uFFFD': ['x\uFFFDy', { b: '\uFFFD' }], n: 1 });
    expect(canonicalJson(event)).not.toContain('\\u0000');
  });

  test('details must be a JSON object', () => {
    expect(() => normalizeContent({ ...EVENT, details: [] as unknown as Record<string, unknown> })).toThrow(TypeError);
  });
});
