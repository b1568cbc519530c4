// Writes the GraphQL schema (SDL) to apps/control-plane/schema.gql.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printGraphqlSchema } from '../graphql-schema.js';

const target = fileURLToPath(new URL('../../schema.gql', import.meta.url));
writeFileSync(target, await printGraphqlSchema());
process.stdout.write(`wrote ${target}\n`);
