import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { POSTERN_AUDIENCE, startDevIdp, type DevIdp } from './dev-idp.js';

let idp: DevIdp;
beforeAll(async () => {
  idp = await startDevIdp();
});
afterAll(async () => {
  await idp.close();
});

describe('development IdP', () => {
  test('publishes discovery with the device and client-credentials grants', async () => {
    const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery['issuer']).toBe(idp.issuer);
    expect(discovery['device_authorization_endpoint']).toBeTruthy();
    expect(discovery['grant_types_supported']).toEqual(
      expect.arrayContaining(['client_credentials', 'authorization_code']),
    );
  });

  test('issues a verifiable JWT access token for the machine client, with its groups and Postern audience', async () => {
    const response = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${idp.clients.machine.clientId}:${idp.clients.machine.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        resource: POSTERN_AUDIENCE,
        scope: 'openid groups',
      }),
    });
    const body = (await response.json()) as { access_token: string; token_type: string };
    expect(response.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
    const { payload } = await jwtVerify(body.access_token, jwks, { issuer: idp.issuer, audience: POSTERN_AUDIENCE });
    expect(payload['client_id']).toBe('ci-runner');
    expect(payload['groups']).toEqual(['ci-runners']);
  });

  test('refuses the machine client with a wrong secret', async () => {
    const response = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${idp.clients.machine.clientId}:wrong`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: POSTERN_AUDIENCE }),
    });
    expect(response.status).toBe(401);
  });
});
