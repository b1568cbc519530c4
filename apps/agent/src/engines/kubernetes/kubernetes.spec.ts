import { describe, expect, test } from '@jest/globals';
import { addressed, bearerToken } from './client-auth.js';
import { exitCode } from './exec-recorder.js';
import { jsonAccept, upstreamHeaders } from './upstream.js';

const principal = {
  id: 'user-1',
  kind: 'user' as const,
  displayName: 'Alice',
  groups: ['dev', 'sre'],
  loginName: 'alice@example.com',
};

describe('kubernetes engine stages', () => {
  test('the connection is named by the path prefix; the rest is the API request', () => {
    expect(addressed('/k8s/prod/api/v1/pods?watch=1')).toEqual({
      connectionName: 'prod',
      target: '/api/v1/pods?watch=1',
    });
    expect(addressed('/k8s/prod')).toEqual({ connectionName: 'prod', target: '/' });
    expect(addressed('/k8s/prod?timeout=32s')).toEqual({ connectionName: 'prod', target: '/?timeout=32s' });
    expect(addressed('/k8s/my%2Dcluster/version')).toEqual({ connectionName: 'my-cluster', target: '/version' });
    // Not a connection name (nor a path of the HTTP engine): refused, never guessed.
    expect(addressed('/k8s/my%20cluster/version')).toBeNull();
    expect(addressed('/c/prod/api/v1/pods')).toBeNull();
    expect(addressed('/api/v1/pods')).toBeNull();
    expect(addressed('/k8s//api')).toBeNull();
  });

  test('bearer tokens only', () => {
    expect(bearerToken('Bearer postern_conn_x')).toBe('postern_conn_x');
    expect(bearerToken('bearer abc ')).toBe('abc');
    expect(bearerToken('Basic YTpi')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  test("the client's credential and impersonation headers never reach the API server", () => {
    const raw = [
      'Authorization',
      'Bearer postern_conn_client',
      'Impersonate-User',
      'system:admin',
      'Impersonate-Group',
      'system:masters',
      'impersonate-uid',
      '0',
      'Impersonate-Extra-scopes',
      'all',
      'Connection',
      'keep-alive, X-Drop',
      'X-Drop',
      'hop',
      'Sec-WebSocket-Extensions',
      'permessage-deflate',
      'Accept',
      'application/vnd.kubernetes.protobuf,application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
      'User-Agent',
      'kubectl/v1.32',
    ];
    const incoming = { connection: 'keep-alive, X-Drop', accept: raw[raw.indexOf('Accept') + 1] };
    const headers = upstreamHeaders(incoming, raw, { token: 'sa-token' }, principal, { forceJson: true });
    expect(headers).toEqual({
      authorization: 'Bearer sa-token',
      'impersonate-user': 'alice@example.com',
      'impersonate-group': ['dev', 'sre'],
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
      'accept-encoding': 'identity',
      'user-agent': 'kubectl/v1.32',
    });
  });

  test('a log to be masked is asked for uncompressed, its Accept kept', () => {
    const raw = ['Accept', 'text/plain', 'Accept-Encoding', 'gzip'];
    const headers = upstreamHeaders({ accept: 'text/plain' }, raw, { token: 't' }, principal, {
      forceJson: false,
      identity: true,
    });
    expect(headers).toMatchObject({ accept: 'text/plain', 'accept-encoding': 'identity' });
  });

  test('protobuf-only Accept becomes JSON', () => {
    expect(jsonAccept('application/vnd.kubernetes.protobuf')).toBe('application/json');
  });

  test('exit codes from the status channel', () => {
    expect(exitCode('{"metadata":{},"status":"Success"}')).toBe(0);
    expect(
      exitCode(
        '{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"42"}]}}',
      ),
    ).toBe(42);
    expect(exitCode('{"status":"Failure","reason":"InternalError"}')).toBeNull();
    expect(exitCode('not json')).toBeNull();
  });
});
