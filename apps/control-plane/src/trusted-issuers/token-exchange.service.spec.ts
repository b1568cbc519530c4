import { describe, expect, test } from '@jest/globals';
import type { Logger } from '@postern/logging';
import { strictMock } from '@postern/testing';
import type { AccessService } from '../access/access.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuditEntry } from '../audit/audit.types.js';
import type { ConnectionsService } from '../connections/connections.service.js';
import type { UsersService } from '../identity/users.service.js';
import type { MutationRateLimiter } from '../platform/api-limits/mutation-rate-limiter.js';
import type { ControlPlaneConfig } from '../platform/config/config.js';
import { DomainError, PermissionDeniedError } from '../platform/errors/domain-error.js';
import { TOKEN_EXCHANGE_GRANT, TokenExchangeError, TokenExchangeService } from './token-exchange.service.js';
import type { TrustedIssuer } from './trusted-issuers.types.js';
import type { WorkloadTokens, WorkloadVerdict } from './workload-tokens.js';
import type { PolicyEnforcement } from './policy-enforcement.js';

// The exchange's decisions around the verified token; verification, mapping, the database and
// the HTTP transport are exercised for real in test/workload-identity.test.ts.
const NOW = new Date('2026-12-07T12:00:00Z');
const TRUSTED: TrustedIssuer = {
  id: 'i1',
  name: 'github-actions',
  issuer: 'https://token.actions.githubusercontent.com',
  jwksUri: null,
  audiences: ['postern'],
  allowedAlgorithms: ['RS256'],
  enabled: true,
  rules: [],
  createdAt: NOW,
  updatedAt: NOW,
};
const FORM = {
  grant_type: TOKEN_EXCHANGE_GRANT,
  subject_token: 'a.b.c',
  subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
  resource: 'urn:postern:connection:warehouse',
};

function mapped(expiresInSeconds: number): WorkloadVerdict {
  return {
    ok: true,
    trusted: TRUSTED,
    identity: 'gha:acme/shop@refs/heads/main',
    groups: ['ci'],
    rule: 0,
    claims: { repository: 'acme/shop', run_id: '42' },
    subject: 'repo:acme/shop:ref:refs/heads/main',
    expiresAt: new Date(NOW.getTime() + expiresInSeconds * 1000),
  };
}

function service(options: {
  verdict?: WorkloadVerdict;
  taken?: boolean | Error;
  disabled?: boolean;
  noAccess?: boolean;
}) {
  const audited: AuditEntry[] = [];
  const minted: Array<{ ttlSeconds?: number | null }> = [];
  const enforced: bigint[] = [];
  const config = {
    tokenExchange: { credentialTtlSeconds: 600, perMinutePerAddress: 60, burstPerAddress: 20 },
  } as ControlPlaneConfig;
  const exchange = new TokenExchangeService(
    strictMock<WorkloadTokens>({ identify: async () => options.verdict ?? mapped(3600) }, 'WorkloadTokens'),
    strictMock<UsersService>(
      {
        upsertMachineIdentity: async (input) => ({
          id: 'u1',
          issuer: input.issuer,
          subject: input.name,
          email: null,
          displayName: input.name,
          groups: input.groups,
          disabledAt: options.disabled ? NOW : null,
          createdAt: NOW,
        }),
      },
      'UsersService',
    ),
    strictMock<ConnectionsService>(
      { findByName: async (name) => ({ id: 'c1', name, protocol: 'POSTGRES' }) as never },
      'ConnectionsService',
    ),
    strictMock<AccessService>(
      {
        mintCredential: async (input) => {
          if (options.noAccess) throw new PermissionDeniedError('user has no access');
          minted.push(input);
          return {
            credential: { id: 'cred1', expiresAt: new Date(NOW.getTime() + input.ttlSeconds! * 1000) },
            token: 'postern_conn_x',
            connection: { id: 'c1', name: 'warehouse', protocol: 'POSTGRES' },
            loginName: 'gha:acme/shop@refs/heads/main',
            policyVersion: 7n,
          } as never;
        },
      },
      'AccessService',
    ),
    strictMock<AuditService>({ record: async (entry) => void audited.push(entry) }, 'AuditService'),
    strictMock<MutationRateLimiter>(
      {
        takeFrom: async () => {
          if (options.taken instanceof Error) throw options.taken;
          return options.taken ?? true;
        },
      },
      'MutationRateLimiter',
    ),
    strictMock<PolicyEnforcement>(
      {
        waitUntilEnforced: async (_connection, version) => {
          enforced.push(version);
          return true;
        },
      },
      'PolicyEnforcement',
    ),
    config,
    strictMock<Logger>({ warn: () => undefined }, 'Logger'),
  );
  return { exchange, audited, minted, enforced };
}

async function refusal(promise: Promise<unknown>): Promise<TokenExchangeError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenExchangeError);
  return error as TokenExchangeError;
}

describe('TokenExchangeService', () => {
  test('a mapped id_token buys a credential of the named connection, audited with the claims it came from', async () => {
    const { exchange, audited, minted, enforced } = service({});
    const answer = await exchange.exchange(FORM, '203.0.113.7', NOW);
    // Answered once the serving agents enforce the policy that carries the credential.
    expect(enforced).toEqual([7n]);
    expect(answer).toMatchObject({ token_type: 'N_A', expires_in: 600, login_name: 'gha:acme/shop@refs/heads/main' });
    expect(answer.connection).toEqual({ id: 'c1', name: 'warehouse', protocol: 'postgres', database: 'warehouse' });
    expect(minted).toEqual([{ connectionId: 'c1', userId: 'u1', ttlSeconds: 600 }]);
    expect(audited).toEqual([
      expect.objectContaining({
        kind: 'token_exchange.granted',
        actorId: 'u1',
        details: expect.objectContaining({ 'claim.run_id': '42', rule: 1, clientAddress: '203.0.113.7' }),
      }),
    ]);
  });

  test('the credential never outlives the subject token', async () => {
    const { exchange, minted } = service({ verdict: mapped(95) });
    expect((await exchange.exchange(FORM, '203.0.113.7', NOW)).expires_in).toBe(95);
    expect(minted[0]?.ttlSeconds).toBe(95);
  });

  test('over the per-address rate: slow_down (429); without Redis: temporarily_unavailable (503)', async () => {
    const limited = await refusal(service({ taken: false }).exchange.exchange(FORM, '203.0.113.7', NOW));
    expect({ error: limited.error, status: limited.status }).toEqual({ error: 'slow_down', status: 429 });
    const down = await refusal(
      service({ taken: new DomainError('UNAVAILABLE', 'the rate limiter is unavailable') }).exchange.exchange(
        FORM,
        'x',
        NOW,
      ),
    );
    expect({ error: down.error, status: down.status }).toEqual({ error: 'temporarily_unavailable', status: 503 });
  });

  test('a disabled machine identity is invalid_grant, and audited as refused', async () => {
    const { exchange, audited, minted } = service({ disabled: true });
    expect((await refusal(exchange.exchange(FORM, 'x', NOW))).error).toBe('invalid_grant');
    expect(minted).toEqual([]);
    expect(audited[0]).toMatchObject({ kind: 'token_exchange.refused', decision: 'denied', actorId: 'u1' });
  });

  test('no access is invalid_target, and an actor token (delegation) is refused before any verification', async () => {
    const { exchange, audited } = service({ noAccess: true });
    expect((await refusal(exchange.exchange(FORM, 'x', NOW))).error).toBe('invalid_target');
    expect(audited[0]?.details).toMatchObject({ reason: 'no access to connection warehouse' });
    const delegation = await refusal(service({}).exchange.exchange({ ...FORM, actor_token: 'a.b.c' }, 'x', NOW));
    expect(delegation.error).toBe('invalid_request');
  });
});
