import { beforeAll, describe, expect, test } from '@jest/globals';
import { initSqlParser } from '@postern/policy-postgres';
import {
  BackendParser,
  decodeErrorResponse,
  errorResponse,
  frontend,
  FrontendParser,
  querySql,
  type Frame,
} from '@postern/wire-postgres';
import type { PolicyAuditEvent } from '../../engine.js';
import { ActivityRecorder } from './activity-recorder.js';
import { RequestMatcher } from './request-matcher.js';
import { StatementGate, type MaskingAdmission } from './statement-gate.js';
import type { PostgresContext } from '../rules.js';

function clientFrame(bytes: Buffer): Frame {
  const frames: Frame[] = [];
  new FrontendParser({ phase: 'message' }).parse(bytes, (f) => frames.push(f));
  return frames[0]!;
}

function serverFrame(bytes: Buffer): Frame {
  const frames: Frame[] = [];
  new BackendParser().parse(bytes, (f) => frames.push(f));
  return frames[0]!;
}

const rule = { id: 'r1', name: 'no drops' };

function gate(evaluate: (sql: string) => unknown) {
  const audited: PolicyAuditEvent[] = [];
  const context = {
    policy: () => ({ version: '3', statements: { empty: false, evaluate }, masker: null }),
    audit: (event: PolicyAuditEvent) => audited.push(event),
    record: () => undefined,
  } as unknown as PostgresContext;
  const passThrough: MaskingAdmission = { refusal: () => null, admit: (_sql, frame) => frame.bytes };
  const stage = new StatementGate(
    context,
    new ActivityRecorder(context, new RequestMatcher()),
    passThrough,
    () => null,
  );
  return { stage, audited };
}

describe('StatementGate', () => {
  beforeAll(() => initSqlParser());

  test('an allowed statement goes through untouched and is counted', () => {
    const { stage } = gate(() => ({ action: 'allow' }));
    const frame = clientFrame(frontend.query('select 1'));
    expect(stage.enforce('select 1', frame, (m) => frontend.query(m))).toBe(frame.bytes);
    expect(stage.tally.allowed).toBe(1);
  });

  test('a blocked statement becomes a stand-in, and the server’s error about it becomes ours', () => {
    const { stage, audited } = gate(() => ({ action: 'block', rule, reason: 'DROP is not allowed' }));
    const frame = clientFrame(frontend.query('drop table t'));
    const standIn = stage.enforce('drop table t', frame, (m) => frontend.query(m)) as Buffer;
    const marker = /postern_refused_[0-9a-f]{16}/.exec(querySql(clientFrame(standIn)))![0];
    const serverError = serverFrame(
      errorResponse({ severity: 'ERROR', code: '42P01', message: `missing FROM-clause entry for table "${marker}"` }),
    );
    const swapped = stage.swapError(serverError, serverError.bytes);
    const fields = decodeErrorResponse(serverFrame(swapped)).fields;
    expect(fields['C']).toBe('42501');
    expect(fields['M']).toBe('Postern rule "no drops" blocked this statement: DROP is not allowed');
    expect(audited[0]).toMatchObject({ kind: 'statement.blocked', ruleId: 'r1', details: { sql: 'drop table t' } });
    expect(stage.tally.refused.get('r1')).toBe(1);
    // Another error passes as it is.
    const other = serverFrame(errorResponse({ severity: 'ERROR', code: '22012', message: 'division by zero' }));
    expect(stage.swapError(other, other.bytes)).toBe(other.bytes);
  });

  test('with standard_conforming_strings off, statements are refused until it is reset', () => {
    const { stage } = gate(() => ({ action: 'allow' }));
    stage.onParameterStatus(
      serverFrame(Buffer.from([0x53, 0, 0, 0, 36, ...Buffer.from('standard_conforming_strings\0off\0')])),
    );
    const select = clientFrame(frontend.query("select 'a\\'b'"));
    expect(stage.enforce("select 'a\\'b'", select, (m) => frontend.query(m))).not.toBe(select.bytes);
    const reset = clientFrame(frontend.query('RESET standard_conforming_strings'));
    expect(stage.enforce('RESET standard_conforming_strings', reset, (m) => frontend.query(m))).toBe(reset.bytes);
  });
});
