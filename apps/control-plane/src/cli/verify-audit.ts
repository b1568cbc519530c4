// `node apps/control-plane/dist/cli/verify-audit.js [--from <seq>] [--to <seq>] [--json]`:
// recomputes the audit log's hash chain straight from the database (POSTERN_DATABASE_URL) and
// prints the verdict, naming the first bad seq. `--file <export.jsonl>` verifies an export
// (GET /audit/export) instead, without a database: its first event's prevHash is taken as given.
// Exit code 0: intact; 1: tampered (problems listed); 2: bad usage, unreadable input, or the
// database could not be read.
import 'reflect-metadata';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.js';
import { DomainError } from '../errors/domain-error.js';
import { PrismaService } from '../infra/prisma/prisma.service.js';
import type { ChainedAuditRow } from '../audit/audit-chain.js';
import { verifyAuditChain } from '../audit/audit-chain-verification.js';
import { ExportFormatError, parseExportLine } from '../audit/audit-export.js';
import { AuditVerifier, type AuditVerification } from '../audit/audit-verifier.js';
import { AuditRepository } from '../audit/audit.repository.js';

const USAGE =
  'Usage: verify-audit [--from <seq>] [--to <seq>] [--json]   (reads POSTERN_DATABASE_URL)\n' +
  '       verify-audit --file <export.jsonl> [--json]\n';

function render(v: AuditVerification, what: string): string {
  const range = v.firstSeq === null ? 'no events' : `seq ${v.firstSeq} to ${v.lastSeq}`;
  const lines = [`${what}: ${v.ok ? 'OK' : 'TAMPERED'} (${v.checked} events, ${range})`];
  if (v.legacy > 0) lines.push(`${v.legacy} events predate the hash chain and cannot be verified`);
  if (v.headHash) lines.push(`head hash ${v.headHash} at seq ${v.lastSeq}`);
  if (v.firstBadSeq !== null) lines.push(`first bad seq ${v.firstBadSeq}`);
  for (const p of v.problems) lines.push(`  seq ${p.seq}: ${p.problem}: ${p.detail}`);
  if (v.problemCount > v.problems.length) lines.push(`  … and ${v.problemCount - v.problems.length} more`);
  return `${lines.join('\n')}\n`;
}

async function fromDatabase(from?: string, to?: string): Promise<AuditVerification> {
  const seq = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    if (!/^\d{1,19}$/.test(value)) throw new DomainError('INVALID_ARGUMENT', `--${name} must be a decimal seq`);
    return BigInt(value);
  };
  const config = loadConfig({
    // Only the database setting matters here; the rest must not be required.
    POSTERN_BOOTSTRAP_ADMIN_TOKEN: 'x'.repeat(32),
    POSTERN_GRPC_INSECURE: 'true',
    POSTERN_RELAY_POSTGRES_PORT: 'off',
    ...process.env,
  });
  const prisma = new PrismaService(config);
  try {
    const fromSeq = seq('from', from);
    const toSeq = seq('to', to);
    return await new AuditVerifier(new AuditRepository(prisma)).verify({
      ...(fromSeq === undefined ? {} : { fromSeq }),
      ...(toSeq === undefined ? {} : { toSeq }),
    });
  } finally {
    await prisma.$disconnect();
  }
}

/** An export holds what it holds: its first event's link is the anchor; hashes are looked up in it. */
async function fromFile(path: string): Promise<AuditVerification> {
  const rows: ChainedAuditRow[] = [];
  let lineNumber = 0;
  for await (const line of createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })) {
    lineNumber += 1;
    if (line.trim() !== '') rows.push(parseExportLine(line, lineNumber));
  }
  const byHash = new Map(rows.flatMap((r) => (r.hash ? [[r.hash.toString('hex'), r.seq] as const] : [])));
  const first = rows[0];
  const last = rows.at(-1);
  const verdict = await verifyAuditChain(
    {
      chainStart: async () => rows.find((r) => r.hash !== null)?.seq ?? null,
      anchorBefore: async () => (first?.prevHash ? { seq: first.seq - 1n, hash: first.prevHash } : null),
      seqOfHash: async (hash) => byHash.get(hash.toString('hex')) ?? null,
      // In file order: a line moved within the file is reported like a moved event.
      async *rows() {
        yield* rows;
      },
    },
    { from: first?.seq ?? 0n, to: last?.seq ?? 0n },
  );
  return {
    ok: verdict.problemCount === 0,
    fromSeq: first?.seq ?? 0n,
    toSeq: last?.seq ?? 0n,
    checked: verdict.checked,
    legacy: verdict.legacy,
    firstSeq: verdict.firstSeq,
    lastSeq: verdict.lastSeq,
    headHash: verdict.headHash?.toString('hex') ?? null,
    firstBadSeq: verdict.problems[0]?.seq ?? null,
    problems: verdict.problems,
    problemCount: verdict.problemCount,
    nextSeq: null,
  };
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        file: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch {
    process.stderr.write(USAGE);
    return 2;
  }
  const { from, to, file, json } = parsed.values;
  if (file !== undefined && (from !== undefined || to !== undefined)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const verification = file === undefined ? await fromDatabase(from, to) : await fromFile(file);
  process.stdout.write(
    json
      ? `${JSON.stringify(verification, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2)}\n`
      : render(verification, file === undefined ? 'audit log' : file),
  );
  return verification.ok ? 0 : 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const known = error instanceof ConfigError || error instanceof DomainError || error instanceof ExportFormatError;
  const code = (error as NodeJS.ErrnoException).code;
  process.stderr.write(`${known || code === 'ENOENT' ? (error as Error).message : (error as Error).stack}\n`);
  process.exitCode = 2;
}
