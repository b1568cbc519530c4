import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { queryDatabase, startStack, waitFor, type TestStack } from '../src/index.js';

/**
 * The shared stack fixture: a database, the development IdP, the built control plane trusting it
 * and an agent enrolled through the API — and nothing left behind once it stops.
 */
let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({ name: 'postern_fixture', idp: true, tls: true, agents: [{ name: 'fixture-agent' }] });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('startStack', () => {
  test('the enrolled agent shows online over TLS, and the control plane trusts the IdP', async () => {
    const agent = stack.agents.get('fixture-agent')!;
    await waitFor(
      async () => {
        const response = await stack.cp.admin<{ agent: { status: string } }>(
          'query($id: ID!) { agent(id: $id) { status } }',
          { id: agent.id },
        );
        return response.data?.agent.status === 'ONLINE';
      },
      { what: 'the agent online', timeoutMs: 15_000 },
    );
    const discovery = await fetch(`${stack.idp!.issuer}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(stack.cp.env['POSTERN_OIDC_ISSUER']).toBe(stack.idp!.issuer);
    expect(stack.cp.env['POSTERN_GRPC_TLS_CERT_FILE']).toBe(stack.tls!.certFile);
  });

  test('stop() ends the processes and removes the database and the agent state', async () => {
    const own = await startStack({ name: 'postern_fixture_stop', agents: [{ name: 'short-lived' }] });
    const { process, stateDir } = own.agents.get('short-lived')!;
    const databaseName = own.database.name;
    await own.stop();
    expect(process.running).toBe(false);
    expect(own.cp.process.running).toBe(false);
    expect(existsSync(stateDir)).toBe(false);
    const rows = await queryDatabase(stack.database.url, 'SELECT 1 FROM pg_database WHERE datname = $1', [
      databaseName,
    ]);
    expect(rows).toEqual([]);
  });
});
