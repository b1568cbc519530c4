import { describe, expect, test } from 'vitest';
import { httpOptionLines } from './http-options';

describe('httpOptionLines', () => {
  test('names every option the connection was created with, references rather than secrets', () => {
    expect(
      httpOptionLines({
        authScheme: 'bearer',
        authQueryParam: 'api_key',
        extraHeaders: [{ name: 'x-tenant', secretRef: 'env:TENANT' }],
        credentialHeader: 'x-postern-token',
        credentialCookie: null,
        approvalHoldSeconds: 30,
        identityAssertion: true,
      }),
    ).toEqual([
      'secret written as bearer',
      'secret in query parameter api_key',
      'header x-tenant from env:TENANT',
      'callers’ credential also in header x-postern-token',
      'held requests wait 30 s',
      'identity assertion sent',
    ]);
  });

  test('the defaults show as two lines', () => {
    expect(
      httpOptionLines({ authScheme: 'raw', extraHeaders: [], approvalHoldSeconds: 30, identityAssertion: false }),
    ).toEqual(['secret written as raw', 'held requests wait 30 s']);
  });
});
