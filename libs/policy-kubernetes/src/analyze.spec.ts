import { describe, expect, test } from '@jest/globals';
import { compileCommandPolicy, parseCommandMatch } from '@postern/policy';
import { analyzeRequest, kubernetesAnalyser } from './analyze.js';
import { KUBERNETES_DIALECT } from './dialect.js';
import { requestInfo } from './request-info.js';
import { maskSecretsInJson, MASKED_BASE64 } from './secret-masking.js';

describe('requestInfo (as the API server reads a request)', () => {
  test.each([
    ['GET', '/api/v1/namespaces/prod/pods', { verb: 'list', resource: 'pods', namespace: 'prod', name: '' }],
    ['GET', '/api/v1/namespaces/prod/pods?watch=true', { verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/watch/namespaces/prod/pods', { verb: 'watch', resource: 'pods', namespace: 'prod' }],
    ['GET', '/api/v1/namespaces/prod/pods/web-1', { verb: 'get', name: 'web-1' }],
    ['POST', '/api/v1/namespaces/prod/pods/web-1/exec?command=sh', { verb: 'create', subresource: 'exec' }],
    ['GET', '/api/v1/namespaces/prod/pods/web-1/log?follow=true', { verb: 'get', subresource: 'log' }],
    [
      'DELETE',
      '/apis/apps/v1/namespaces/prod/deployments/web',
      { verb: 'delete', apiGroup: 'apps', apiVersion: 'v1', resource: 'deployments', name: 'web' },
    ],
    ['DELETE', '/api/v1/namespaces/prod/secrets', { verb: 'deletecollection', resource: 'secrets' }],
    ['PATCH', '/api/v1/namespaces/prod/configmaps/cfg', { verb: 'patch', resource: 'configmaps' }],
    ['PUT', '/api/v1/namespaces/prod/status', { verb: 'update', resource: 'namespaces', subresource: 'status' }],
    [
      'DELETE',
      '/api/v1/namespaces/kube-system',
      { verb: 'delete', resource: 'namespaces', name: 'kube-system', namespace: 'kube-system' },
    ],
    ['GET', '/api/v1/namespaces', { verb: 'list', resource: 'namespaces', namespace: '' }],
    ['GET', '/api/v1/nodes/n1', { verb: 'get', resource: 'nodes', name: 'n1', namespace: '' }],
    ['GET', '/api/v1/namespaces/prod/secrets?fieldSelector=metadata.name%3Ddb', { verb: 'list', name: 'db' }],
    ['GET', '/api/v1/namespaces/kube%2Dsystem/pods', { namespace: 'kube-system' }],
    ['GET', '/version', { isResourceRequest: false, verb: 'get' }],
    ['GET', '/apis/apps/v1', { isResourceRequest: false }],
  ])('%s %s', (method, url, expected) => {
    expect(requestInfo(method, url)).toMatchObject(expected);
  });

  test.each([
    '/api/v1//namespaces/x/pods',
    '/api/v1/namespaces/../pods',
    '/api/%zz',
    '/api/v1/namespaces/a/pods/b/exec/extra',
  ])('refuses %s', (path) => {
    expect(analyzeRequest(`GET ${path}`)).toMatchObject({ ok: false, uncheckable: true });
  });
});

describe('kubernetes rules', () => {
  const policy = (guardrails: object[], approvals: object[] = []) =>
    compileCommandPolicy(
      kubernetesAnalyser(),
      guardrails.map((match, i) => ({
        id: `g${i}`,
        name: `guard ${i}`,
        connectionIds: [],
        groups: [],
        match: parseCommandMatch(KUBERNETES_DIALECT, match),
      })),
      approvals.map((match, i) => ({
        id: `a${i}`,
        name: `approve ${i}`,
        connectionIds: [],
        groups: [],
        approverGroups: ['sre'],
        requiredApprovals: 1,
        timeoutSeconds: 60,
        match: parseCommandMatch(KUBERNETES_DIALECT, match),
      })),
    ).forSession('c', []);

  test('no delete namespace, no exec in kube-system, no reading secrets', () => {
    const session = policy([
      { statementKinds: ['DELETE'], relations: ['namespaces'] },
      { statementKinds: ['EXEC'], schemas: ['kube-system'] },
      { statementKinds: ['GET', 'LIST', 'WATCH'], relations: ['secrets'] },
    ]);
    expect(session.evaluate('DELETE /api/v1/namespaces/prod').action).toBe('block');
    expect(session.evaluate('GET /api/v1/namespaces/prod').action).toBe('allow');
    expect(session.evaluate('POST /api/v1/namespaces/kube-system/pods/dns/exec?command=sh').action).toBe('block');
    expect(session.evaluate('GET /api/v1/namespaces/kube%2Dsystem/pods/dns/exec?command=sh').action).toBe('block');
    expect(session.evaluate('POST /api/v1/namespaces/prod/pods/web/exec?command=sh').action).toBe('allow');
    expect(session.evaluate('GET /api/v1/namespaces/prod/secrets').action).toBe('block');
    expect(session.evaluate('GET /api/v1/secrets?watch=1').action).toBe('block');
    expect(session.evaluate('GET /api/v1/namespaces/prod/configmaps').action).toBe('allow');
  });

  test('approval: delete deployment in prod, any exec, port-forward, debug', () => {
    const session = policy(
      [],
      [
        { statementKinds: ['DELETE'], relations: ['deployments.apps'], schemas: ['prod'] },
        { statementKinds: ['EXEC', 'PORTFORWARD', 'EPHEMERALCONTAINERS'] },
      ],
    );
    expect(session.evaluate('DELETE /apis/apps/v1/namespaces/prod/deployments/web').action).toBe('hold');
    expect(session.evaluate('DELETE /apis/apps/v1/namespaces/dev/deployments/web').action).toBe('allow');
    expect(session.evaluate('GET /api/v1/namespaces/dev/pods/web/portforward?ports=80').action).toBe('hold');
    expect(session.evaluate('PATCH /api/v1/namespaces/dev/pods/web/ephemeralcontainers').action).toBe('hold');
    expect(session.evaluate('GET /api/v1/namespaces/dev/pods/web/log').action).toBe('allow');
  });

  test('resource spellings: resource, resource.group, resource/subresource; names by pattern', () => {
    const session = policy([{ relations: ['pods/exec'] }, { functions: ['db-*'], relations: ['secrets'] }]);
    expect(session.evaluate('POST /api/v1/namespaces/a/pods/x/exec').action).toBe('block');
    expect(session.evaluate('GET /api/v1/namespaces/a/secrets/db-root').action).toBe('block');
    expect(session.evaluate('GET /api/v1/namespaces/a/secrets/web').action).toBe('allow');
  });

  test('unreadable paths are refused, not guessed', () => {
    expect(policy([{ relations: ['secrets'] }]).evaluate('GET /api/v1/namespaces/a/../secrets').action).toBe('invalid');
  });

  test('rule validation names unknown kinds', () => {
    expect(() => parseCommandMatch(KUBERNETES_DIALECT, { statementKinds: ['DROP'] })).toThrow(/statementKinds/);
    expect(parseCommandMatch(KUBERNETES_DIALECT, { statementKinds: ['port-forward', 'logs'] }).statementKinds).toEqual([
      'PORTFORWARD',
      'LOG',
    ]);
  });
});

describe('secret masking', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'db',
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
          kind: 'Secret',
          stringData: { pw: 'hunter2' },
        }),
      },
    },
    data: { pw: Buffer.from('hunter2').toString('base64') },
  };

  test('single object, list items without kind, watch events, tables with objects', () => {
    const one = maskSecretsInJson(JSON.stringify(secret), true)!;
    expect(one.text).not.toContain('hunter2');
    expect(one.text).not.toContain(secret.data.pw);
    expect(JSON.parse(one.text).data.pw).toBe(MASKED_BASE64);
    const { kind: _kind, apiVersion: _v, ...bare } = secret;
    const list = maskSecretsInJson(JSON.stringify({ kind: 'SecretList', items: [bare] }), false)!;
    expect(list.text).not.toContain(secret.data.pw);
    const event = maskSecretsInJson(JSON.stringify({ type: 'ADDED', object: secret }), true)!;
    expect(event.text).not.toContain(secret.data.pw);
    const table = maskSecretsInJson(
      JSON.stringify({ kind: 'Table', rows: [{ cells: ['db'], object: secret }] }),
      true,
    )!;
    expect(table.text).not.toContain(secret.data.pw);
    expect(maskSecretsInJson(JSON.stringify({ kind: 'ConfigMap', data: { a: 'b' } }), false)).toBeNull();
  });
});
