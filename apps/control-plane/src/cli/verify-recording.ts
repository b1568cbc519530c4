// `node apps/control-plane/dist/cli/verify-recording.js <sessionId> [--json]`: recomputes a
// session recording's hash chain straight from the database (POSTERN_DATABASE_URL) and prints the
// verdict. Exit code 0: intact; 1: tampered (problems listed); 2: bad usage, unknown session, or
// the database could not be read.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../platform/config/config.js';
import { DomainError } from '../platform/errors/domain-error.js';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import { RecordingVerifier } from '../recordings/recording-verifier.js';
import { RecordingsRepository } from '../recordings/recordings.repository.js';
import type { RecordingVerification } from '../recordings/recording.types.js';

const USAGE = 'Usage: verify-recording <sessionId> [--json]   (reads POSTERN_DATABASE_URL)\n';

function render(v: RecordingVerification): string {
  const state = v.purged ? 'purged by retention' : v.complete ? 'complete' : 'incomplete';
  const lines = [`session ${v.sessionId}: ${v.ok ? 'OK' : 'TAMPERED'} (${v.chunks} chunks, ${state})`];
  if (v.headHash) lines.push(`head hash ${v.headHash}`);
  for (const p of v.problems) lines.push(`  seq ${p.seq}: ${p.problem}: ${p.detail}`);
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  } catch {
    process.stderr.write(USAGE);
    return 2;
  }
  if (parsed.positionals.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const config = loadConfig({
    // Only the database setting matters here; the rest must not be required.
    POSTERN_BOOTSTRAP_ADMIN_TOKEN: 'x'.repeat(32),
    POSTERN_GRPC_INSECURE: 'true',
    POSTERN_RELAY_POSTGRES_PORT: 'off',
    ...process.env,
  });
  const prisma = new PrismaService(config);
  try {
    const verification = await new RecordingVerifier(new RecordingsRepository(prisma)).verify(parsed.positionals[0]!);
    process.stdout.write(parsed.values.json ? `${JSON.stringify(verification, null, 2)}\n` : render(verification));
    return verification.ok ? 0 : 1;
  } finally {
    await prisma.$disconnect();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const message = error instanceof ConfigError || error instanceof DomainError ? error.message : (error as Error).stack;
  process.stderr.write(`${message}\n`);
  process.exitCode = 2;
}
