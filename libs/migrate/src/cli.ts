#!/usr/bin/env node
/**
 * Operator entry point: `node libs/migrate/dist/cli.js deploy|status|create --name <n>`.
 * The control plane imports the functions instead; this only maps arguments and exit codes.
 */
import { parseArgs } from 'node:util';
import { applyMigrations } from './apply.js';
import { createMigration } from './create.js';
import { MigrateError } from './errors.js';
import type { MigrateLogger } from './logger.js';
import { migrationStatus } from './status.js';

const USAGE = `Usage: node libs/migrate/dist/cli.js <command> [options]

Commands:
  deploy                apply pending migrations (like prisma migrate deploy)
  status                list applied, pending and failed migrations; exit code 1 unless up to date
  create --name <name>  write a migration for the changes in the Prisma schema (like prisma migrate dev --create-only)

Options:
  --url <url>           PostgreSQL URL (default: $DATABASE_URL); create uses it for a temporary shadow database
  --migrations <dir>    migrations directory (default: prisma/migrations)
  --schema <path>       Prisma schema file or folder, for create (default: prisma/schema.prisma)
  --name <name>         name of the new migration, for create
  -h, --help            show this help`;

const logger: MigrateLogger = {
  info: (message) => console.log(message),
  warn: (message) => console.error(`warning: ${message}`),
};

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      migrations: { type: 'string', default: 'prisma/migrations' },
      schema: { type: 'string', default: 'prisma/schema.prisma' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...extra] = positionals;
  if (values.help || command === undefined || extra.length > 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const connectionString = values.url ?? process.env['DATABASE_URL'];
  const migrationsDir = values.migrations;

  switch (command) {
    case 'deploy': {
      const { applied } = await applyMigrations({
        connectionString: requireUrl(connectionString),
        migrationsDir,
        logger,
      });
      console.log(applied.length === 0 ? 'Database is up to date.' : `Applied ${applied.length} migration(s).`);
      return 0;
    }
    case 'status': {
      const status = await migrationStatus({ connectionString: requireUrl(connectionString), migrationsDir });
      printList('Applied', status.applied);
      printList('Pending', status.pending);
      printList('Failed', status.failed);
      printList('Edited after apply', status.edited);
      printList('Applied but missing from the directory', status.missingFromDirectory);
      const upToDate = [status.pending, status.failed, status.edited, status.missingFromDirectory].every(
        (list) => list.length === 0,
      );
      console.log(upToDate ? 'Database schema is up to date.' : 'Database schema is NOT up to date.');
      return upToDate ? 0 : 1;
    }
    case 'create': {
      if (!values.name) {
        console.error('create needs --name <name>');
        return 2;
      }
      const result = await createMigration({
        schemaPath: values.schema,
        migrationsDir,
        name: values.name,
        connectionString: requireUrl(connectionString),
        logger,
      });
      if (!result.created) console.log('No changes: no migration written.');
      return 0;
    }
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

function requireUrl(url: string | undefined): string {
  if (!url) throw new MigrateError('DATABASE_URL_REQUIRED', 'Set DATABASE_URL or pass --url.');
  return url;
}

function printList(title: string, names: string[]): void {
  if (names.length === 0) return;
  console.log(`${title}:`);
  for (const name of names) console.log(`  ${name}`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof MigrateError ? `error [${error.code}]: ${error.message}` : error);
    process.exitCode = 1;
  },
);
