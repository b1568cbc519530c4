import { describe, expect, test } from '@jest/globals';
import { InvalidArgumentError } from '../../platform/errors/domain-error.js';
import type { ConnectionProtocol, ConnectionSpec } from '../connection.types.js';
import { CONNECTION_VALIDATORS } from './index.js';
import { forwardDestinationList } from './ssh.validator.js';

const FINGERPRINT = `SHA256:${'n'.repeat(42)}A`;

function spec(protocol: ConnectionProtocol, fields: Partial<ConnectionSpec> = {}): ConnectionSpec {
  return {
    name: 'target',
    protocol,
    agentId: null,
    agentGroupId: null,
    targetHost: null,
    targetPort: null,
    targetDatabase: null,
    targetUser: null,
    secretRef: null,
    tlsMode: null,
    tlsCaRef: null,
    url: null,
    hostKeyFingerprint: null,
    authHeaderName: null,
    forwardDestinations: null,
    ...fields,
  };
}

const validate = (s: ConnectionSpec) => CONNECTION_VALIDATORS[s.protocol].validate(s);
const refused = (s: ConnectionSpec, message: RegExp) => {
  expect(() => validate(s)).toThrow(InvalidArgumentError);
  expect(() => validate(s)).toThrow(message);
};

describe('connection validators', () => {
  test('POSTGRES: host, database and user required; port and sslmode defaulted', () => {
    const db = { targetHost: 'db.internal', targetDatabase: 'orders', targetUser: 'app', secretRef: 'env:PW' };
    expect(validate(spec('POSTGRES', db))).toEqual({
      targetHost: 'db.internal',
      targetPort: 5432,
      targetDatabase: 'orders',
      targetUser: 'app',
      secretRef: 'env:PW',
      tlsMode: 'prefer',
      tlsCaRef: null,
      settings: {},
    });
    refused(spec('POSTGRES', { ...db, targetDatabase: null }), /targetDatabase is required/);
    refused(spec('POSTGRES', { ...db, tlsMode: 'allow' }), /tlsMode must be one of/);
    refused(spec('POSTGRES', { ...db, secretRef: 'hunter2' }), /secretRef must be env:NAME/);
    refused(spec('POSTGRES', { ...db, url: 'https://x' }), /url does not apply to POSTGRES/);
    refused(spec('POSTGRES', { ...db, targetPort: 70000 }), /targetPort must be 1..65535/);
  });

  test('MYSQL: host, port, database, user and TLS', () => {
    const db = { targetHost: '10.0.0.7', targetDatabase: 'shop', targetUser: 'app', tlsMode: 'verify-full' };
    expect(validate(spec('MYSQL', { ...db, tlsCaRef: 'file:/etc/ca.pem' }))).toMatchObject({
      targetPort: 3306,
      tlsMode: 'verify-full',
      tlsCaRef: 'file:/etc/ca.pem',
    });
    refused(spec('MYSQL', { ...db, targetUser: null }), /targetUser is required for MYSQL/);
    refused(spec('MYSQL', { ...db, targetHost: 'bad host' }), /targetHost is not a valid/);
    refused(spec('MYSQL', { ...db, hostKeyFingerprint: FINGERPRINT }), /hostKeyFingerprint does not apply/);
  });

  test('SSH: forwardDestinations are exact host:port entries, stored as the agent compares them', () => {
    const ssh = {
      targetHost: 'bastion',
      targetUser: 'deploy',
      secretRef: 'file:/keys/id_ed25519',
      hostKeyFingerprint: FINGERPRINT,
    };
    const settings = (forwardDestinations: string[]) => validate(spec('SSH', { ...ssh, forwardDestinations })).settings;
    expect(settings(['DB.internal:5432', '10.0.0.7:80', '[::1]:8080', 'db.internal:5432'])).toEqual({
      hostKeyFingerprint: FINGERPRINT,
      forwardDestinations: 'db.internal:5432,10.0.0.7:80,::1:8080',
    });
    expect(settings([])).toEqual({ hostKeyFingerprint: FINGERPRINT });
    expect(forwardDestinationList('db.internal:5432,::1:8080')).toEqual(['db.internal:5432', '[::1]:8080']);
    for (const bad of [
      'db.internal',
      'db.internal:0',
      'db.internal:65536',
      'db.internal:05432',
      '*.internal:22',
      'db.internal:*',
      'db.internal:22-25',
      '::1:8080',
      '[db.internal]:22',
      '[::g]:22',
      '300.1.1.1:22',
      '1.2.3:22',
      'a,b:22',
      'db internal:22',
      'db.internal.:22',
      '-db:22',
      'user@db:22',
    ]) {
      refused(spec('SSH', { ...ssh, forwardDestinations: [bad] }), /forwardDestinations: .* is not host:port/);
    }
    refused(
      spec('SSH', { ...ssh, forwardDestinations: Array.from({ length: 65 }, (_, i) => `h${i}:22`) }),
      /at most 64 entries/,
    );
    refused(
      spec('POSTGRES', { targetHost: 'db', forwardDestinations: ['db:5432'] }),
      /forwardDestinations does not apply/,
    );
  });

  test('SSH: host, user and the host key fingerprint (never trust on first use); no TLS', () => {
    const host = { targetHost: 'bastion', targetUser: 'deploy', secretRef: 'file:/keys/id_ed25519' };
    expect(validate(spec('SSH', { ...host, hostKeyFingerprint: FINGERPRINT }))).toEqual({
      targetHost: 'bastion',
      targetPort: 22,
      targetDatabase: null,
      targetUser: 'deploy',
      secretRef: 'file:/keys/id_ed25519',
      tlsMode: 'disable',
      tlsCaRef: null,
      settings: { hostKeyFingerprint: FINGERPRINT },
    });
    refused(spec('SSH', host), /hostKeyFingerprint must be SHA256:/);
    refused(spec('SSH', { ...host, hostKeyFingerprint: 'MD5:aa:bb' }), /hostKeyFingerprint must be SHA256:/);
    refused(
      spec('SSH', { ...host, hostKeyFingerprint: FINGERPRINT, tlsMode: 'require' }),
      /tlsMode must be one of disable/,
    );
    refused(
      spec('SSH', { ...host, hostKeyFingerprint: FINGERPRINT, targetDatabase: 'x' }),
      /targetDatabase does not apply/,
    );
  });

  test('KUBERNETES: https API URL, CA and a service-account token reference; certificates always verified', () => {
    const api = {
      url: 'https://kube.internal:6443/',
      secretRef: 'file:/var/run/sa/token',
      tlsCaRef: 'file:/var/run/sa/ca.crt',
    };
    expect(validate(spec('KUBERNETES', api))).toEqual({
      targetHost: 'kube.internal',
      targetPort: 6443,
      targetDatabase: null,
      targetUser: null,
      secretRef: 'file:/var/run/sa/token',
      tlsMode: 'verify-full',
      tlsCaRef: 'file:/var/run/sa/ca.crt',
      settings: { url: 'https://kube.internal:6443' },
    });
    refused(spec('KUBERNETES', { ...api, url: 'http://kube.internal' }), /url must start with https:\/\//);
    refused(spec('KUBERNETES', { ...api, secretRef: null }), /service-account token\) is required/);
    refused(spec('KUBERNETES', { ...api, tlsMode: 'disable' }), /tlsMode must be one of verify-ca, verify-full/);
    refused(spec('KUBERNETES', { ...api, targetHost: 'kube.internal' }), /targetHost does not apply/);
    refused(spec('KUBERNETES', { ...api, url: 'https://admin:pw@kube.internal' }), /must not carry credentials/);
  });

  test('HTTP: base URL and an auth header set from a secret reference', () => {
    expect(validate(spec('HTTP', { url: 'https://api.internal/v2', secretRef: 'env:API_TOKEN' }))).toMatchObject({
      targetHost: 'api.internal',
      targetPort: 443,
      tlsMode: 'verify-full',
      settings: { url: 'https://api.internal/v2', authHeaderName: 'Authorization' },
    });
    expect(
      validate(spec('HTTP', { url: 'http://metrics:9090', secretRef: 'env:KEY', authHeaderName: 'X-Api-Key' })),
    ).toMatchObject({ targetPort: 9090, tlsMode: 'disable', settings: { authHeaderName: 'X-Api-Key' } });
    expect(validate(spec('HTTP', { url: 'http://[::1]:8080' }))).toMatchObject({
      targetHost: '::1',
      settings: { url: 'http://[::1]:8080' },
    });
    refused(spec('HTTP', { url: 'https://api.internal/?token=1' }), /query or fragment/);
    refused(spec('HTTP', { url: 'ftp://api.internal' }), /url must start with/);
    refused(spec('HTTP', { url: 'https://api.internal', authHeaderName: 'X-Key' }), /authHeaderName needs secretRef/);
    refused(
      spec('HTTP', { url: 'https://api.internal', secretRef: 'env:K', authHeaderName: 'Host' }),
      /authHeaderName must be/,
    );
    refused(spec('HTTP', { url: 'http://api.internal', tlsCaRef: 'env:CA' }), /tlsCaRef needs an https url/);
    refused(spec('HTTP', {}), /url is required/);
  });

  test('HTTP options: injection, credential places, hold time, identity assertion', () => {
    const http = {
      authScheme: 'bearer',
      authQueryParam: 'api_key',
      extraHeaders: [{ name: 'X-Tenant', secretRef: 'env:TENANT' }],
      credentialHeader: 'X-Postern-Token',
      credentialCookie: 'postern',
      approvalHoldSeconds: 10,
      identityAssertion: true,
    };
    expect(validate(spec('HTTP', { url: 'https://api.internal', secretRef: 'env:K', http })).settings).toEqual({
      url: 'https://api.internal',
      authHeaderName: 'Authorization',
      authScheme: 'bearer',
      authQueryParam: 'api_key',
      extraHeaders: '{"x-tenant":"env:TENANT"}',
      credentialHeader: 'X-Postern-Token',
      credentialCookie: 'postern',
      approvalHoldSeconds: '10',
      identityAssertion: 'true',
    });
    const queryOnly = validate(
      spec('HTTP', { url: 'https://a.internal', secretRef: 'env:K', http: { authQueryParam: 'key' } }),
    );
    expect(queryOnly.settings).toEqual({ url: 'https://a.internal', authQueryParam: 'key' });
    refused(spec('HTTP', { url: 'https://a.internal', http: { authScheme: 'bearer' } }), /needs secretRef/);
    refused(
      spec('HTTP', { url: 'https://a.internal', secretRef: 'env:K', http: { authScheme: 'digest' } }),
      /authScheme/,
    );
    refused(
      spec('HTTP', { url: 'https://a.internal', http: { extraHeaders: [{ name: 'Host', secretRef: 'env:X' }] } }),
      /not a header the agent may set/,
    );
    refused(
      spec('HTTP', { url: 'https://a.internal', http: { extraHeaders: [{ name: 'X-A', secretRef: 'plain' }] } }),
      /env:NAME/,
    );
    refused(spec('HTTP', { url: 'https://a.internal', http: { approvalHoldSeconds: -1 } }), /approvalHoldSeconds/);
  });
});
