import { describe, expect, test } from '@jest/globals';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { PRISMA_SCOPE, redactAttributes } from './redact.js';
import { contextFromTraceparent, startSpan, traceparentOf } from './spans.js';

describe('what of a span may leave the process', () => {
  test('statement and document text only on Prisma spans (its own parameterised SQL)', () => {
    const sql = { 'db.query.text': 'SELECT "id" FROM "Session" WHERE "id" = $1', 'db.system': 'postgresql' };
    expect(redactAttributes(PRISMA_SCOPE, sql)).toBe(sql);
    expect(
      redactAttributes('@opentelemetry/instrumentation-ioredis', { 'db.statement': 'set k v', 'db.system': 'redis' }),
    ).toEqual({ 'db.system': 'redis' });
    expect(
      redactAttributes('@opentelemetry/instrumentation-graphql', {
        'graphql.source': 'mutation { login(password: "hunter2") }',
        'graphql.operation.name': 'Login',
      }),
    ).toEqual({ 'graphql.operation.name': 'Login' });
    expect(redactAttributes(PRISMA_SCOPE, { 'graphql.source': 'x' })).toEqual({});
  });

  test('anything named like a secret and any request value is dropped, whoever set it', () => {
    expect(
      redactAttributes('postern', {
        'postern.session.id': 's-1',
        'http.request.header.authorization': 'Bearer x',
        'db.query.parameter.0': 'alice',
        'graphql.variables.password': 'hunter2',
        enrollment_token: 't',
        'client.api_key': 'k',
      }),
    ).toEqual({ 'postern.session.id': 's-1' });
  });
});

describe('traceparent across the agent and the control plane', () => {
  test('without a tracer provider a span has no traceparent (tracing off)', () => {
    expect(traceparentOf(startSpan('x', {}))).toBe('');
  });

  test('a well-formed traceparent names the remote parent; anything else starts a new trace', () => {
    const parent = contextFromTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(trace.getSpanContext(parent)).toEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
    });
    for (const bad of ['', '00-00000000000000000000000000000000-b7ad6b7169203331-01', 'garbage', '01-x-y-z', null]) {
      expect(contextFromTraceparent(bad)).toBe(ROOT_CONTEXT);
    }
  });
});
