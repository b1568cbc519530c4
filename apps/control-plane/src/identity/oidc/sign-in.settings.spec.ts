import { describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../platform/config/config.js';
import { isLoopbackHttp } from './loopback.js';
import { signInSettings } from './sign-in.settings.js';

const base = {
  POSTERN_BOOTSTRAP_ADMIN_TOKEN: 'x'.repeat(40),
  POSTERN_GRPC_INSECURE: 'true',
  POSTERN_RELAY_INSECURE: 'true',
  POSTERN_OIDC_ISSUER: 'https://idp.example.com',
  POSTERN_OIDC_CLIENT_ID: 'postern-dashboard',
};

const settingsFor = (env: Record<string, string>) => signInSettings(loadConfig({ ...base, ...env }));

describe('signInSettings', () => {
  test('is off, with the variable to set, without an issuer or a redirect URL', () => {
    expect(signInSettings(loadConfig({ ...base, POSTERN_OIDC_ISSUER: undefined }))).toEqual({
      settings: null,
      reason: expect.stringMatching(/not configured .*POSTERN_OIDC_ISSUER/),
    });
    expect(settingsFor({}).reason).toMatch(/not configured .*POSTERN_OIDC_REDIRECT_URL/);
  });

  test('uses Secure cookies except for a plain-http redirect URL on loopback', () => {
    expect(
      settingsFor({ POSTERN_OIDC_REDIRECT_URL: 'https://postern.example.com/auth/callback' }).settings,
    ).toMatchObject({ secureCookies: true });
    expect(settingsFor({ POSTERN_OIDC_REDIRECT_URL: 'http://127.0.0.1:8080/auth/callback' }).settings).toMatchObject({
      secureCookies: false,
    });
  });

  test('refuses a plain-http redirect URL off loopback: its Secure cookies would never come back', () => {
    expect(settingsFor({ POSTERN_OIDC_REDIRECT_URL: 'http://postern.example.com/auth/callback' })).toEqual({
      settings: null,
      reason: expect.stringMatching(/POSTERN_OIDC_REDIRECT_URL must be https/),
    });
  });

  test('sends a resource indicator only for an audience that is a URI other than the client id', () => {
    const redirect = { POSTERN_OIDC_REDIRECT_URL: 'https://postern.example.com/auth/callback' };
    expect(settingsFor({ ...redirect, POSTERN_OIDC_AUDIENCE: 'urn:postern:gateway' }).settings?.resource).toBe(
      'urn:postern:gateway',
    );
    expect(settingsFor(redirect).settings?.resource).toBeNull();
  });

  test('always asks for the openid scope', () => {
    const settings = settingsFor({
      POSTERN_OIDC_REDIRECT_URL: 'https://postern.example.com/auth/callback',
      POSTERN_OIDC_SCOPES: 'email groups',
    }).settings;
    expect(settings?.scopes).toEqual(['openid', 'email', 'groups']);
  });
});

describe('isLoopbackHttp', () => {
  test.each([
    ['http://127.0.0.1:8080/x', true],
    ['http://127.1.2.3/', true],
    ['http://localhost:3000', true],
    ['http://[::1]:8080', true],
    ['https://127.0.0.1', false],
    ['http://127.0.0.1.evil.example', false],
    ['http://10.0.0.1', false],
    ['not a url', false],
  ])('%s → %s', (url, expected) => {
    expect(isLoopbackHttp(url)).toBe(expected);
  });
});
