import { describe, expect, test } from '@jest/globals';
import { compileCommandPolicy, parseCommandMatch } from '@postern/policy';
import { analyzeHttp, canonicalPath, normalizePath, requestText } from './analyze.js';
import { HTTP_DIALECT } from './dialect.js';
import { httpAnalyser } from './analyze.js';

const rule = (id: string, match: Record<string, unknown>) => ({ id, name: id, connectionIds: [], groups: [], match });

describe('http analysis', () => {
  test('ids in paths are normalised: digits, uuids, long hex', () => {
    expect(normalizePath('/users/123/keys/9f86d081884c7d65/x')).toBe('/users/*/keys/*/x');
    expect(normalizePath('/o/123e4567-e89b-12d3-a456-426614174000')).toBe('/o/*');
    expect(normalizePath('/facade/v2/deadbeefcafe')).toBe('/facade/v2/deadbeefcafe');
  });

  test('paths are canonical: dot segments resolved, escapes decoded (but not %2F)', () => {
    expect(canonicalPath('/a/./b/../c?x=1')).toEqual({ path: '/a/c', query: 'x=1' });
    expect(canonicalPath('/%61dmin/a%2Fb')).toEqual({ path: '/admin/a%2Fb', query: '' });
    expect(canonicalPath('//evil.example/x')).toBeNull();
    expect(canonicalPath('/%zz')).toBeNull();
  });

  test('facts: method and READ/WRITE, paths, headers and query as parts, websocket', () => {
    const analysis = analyzeHttp(
      requestText({ method: 'post', target: '/users/7?force=true', headers: { 'X-Debug': '1', upgrade: 'websocket' } }),
    );
    if (!analysis.ok) throw new Error(analysis.message);
    const facts = analysis.all[0]!;
    expect(facts.kinds).toEqual(['POST', 'WRITE']);
    expect(facts.relations.map((r) => r.name)).toEqual(['/users/7', '/users/*']);
    expect(facts.functions.map((f) => `${f.schema}.${f.name}`)).toEqual(
      expect.arrayContaining(['header.x-debug', 'header.x-debug=1', 'query.force', 'query.force=true']),
    );
    expect(facts.flags).toEqual(['websocket']);
  });

  test('rules over every condition type', () => {
    const policy = compileCommandPolicy(
      httpAnalyser(),
      [
        rule('deletes', { statementKinds: ['DELETE'], relations: ['/users/*'] }),
        rule('writes-admin', { statementKinds: ['WRITE'], relations: ['/admin/*'] }),
        rule('debug', { functions: ['header.X-Debug'] }),
        rule('force', { functions: ['query.force=true'] }),
        rule('ws', { flags: ['websocket'] }),
      ],
      [],
    ).forSession('c', []);
    const decide = (method: string, target: string, headers: Record<string, string> = {}) => {
      const decision = policy.evaluate(requestText({ method, target, headers }));
      return decision.action === 'block' ? decision.rule.id : decision.action;
    };
    expect(decide('DELETE', '/users/12')).toBe('deletes');
    expect(decide('GET', '/users/12')).toBe('allow');
    expect(decide('PATCH', '/admin/x')).toBe('writes-admin');
    expect(decide('GET', '/admin/x')).toBe('allow');
    expect(decide('GET', '/x', { 'x-debug': 'yes' })).toBe('debug');
    expect(decide('GET', '/x?force=true')).toBe('force');
    expect(decide('GET', '/x?force=false')).toBe('allow');
    expect(decide('GET', '/ws', { upgrade: 'websocket' })).toBe('ws');
    expect(decide('GET', 'http://absolute/form')).toBe('invalid');
  });

  test('rule bodies are validated with the dialect', () => {
    expect(() => parseCommandMatch(HTTP_DIALECT, { statementKinds: ['FETCH'] })).toThrow(/statement kind/);
    expect(() => parseCommandMatch(HTTP_DIALECT, { relations: ['users'] })).toThrow();
    expect(() => parseCommandMatch(HTTP_DIALECT, { functions: ['cookie.x'] })).toThrow();
    expect(parseCommandMatch(HTTP_DIALECT, { statementKinds: ['delete'], relations: ['/a/*'] })).toEqual({
      statementKinds: ['DELETE'],
      relations: ['/a/*'],
    });
  });
});
