import 'reflect-metadata';
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printGraphqlSchema } from './graphql-schema.js';

describe('GraphQL schema file', () => {
  test('the committed schema.gql matches the resolvers (run `pnpm --filter @postern/control-plane schema:print`)', async () => {
    const committed = readFileSync(fileURLToPath(new URL('../schema.gql', import.meta.url)), 'utf8');
    expect(await printGraphqlSchema()).toBe(committed);
  });
});
