// `node apps/control-plane/dist/cli/verify-audit.js [--from <seq>] [--to <seq>] [--json]`:
// recomputes the audit log's hash chain straight from the database (POSTERN_DATABASE_URL) and
// prints the verdict, naming the first bad seq. `--file <export.jsonl>` verifies an export
// (GET /audit/export) instead, without a database: its first event's prevHash is taken as given.
// `--checkpoints <file> --public-key <pem>` also compares the log with signed checkpoints of its
// head (JSON lines as the control plane logs them; other log lines are skipped): a log ending
// before a checkpoint's seq is `truncated`, another hash at a checkpoint's seq is `rewritten`, and
// a checkpoint whose signature does not verify is refused. `--public-key` may be given more than
// once (keys before and after a rotation). `--print-public-key` prints the checkpoint public key
// derived from this environment's configuration (POSTERN_AUDIT_CHECKPOINT_KEY, else
// POSTERN_SECRETS_ENCRYPTION_KEY, else POSTERN_BOOTSTRAP_ADMIN_TOKEN).
// Exit code 0: intact; 1: tampered (problems listed) or a checkpoint refused; 2: bad usage,
// unreadable input, or the database could not be read.
import 'reflect-metadata';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../platform/config/config.js';
import { DomainError } from '../platform/errors/domain-error.js';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import type { ChainedAuditRow } from '../audit/audit-chain.js';
import { verifyAuditChain } from '../audit/audit-chain-verification.js';
import { ExportFormatError, parseExportLine } from '../audit/audit-export.js';
import { AuditVerifier, type AuditVerification } from '../audit/audit-verifier.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { checkpointSigningKey, publicKeyPem } from '../audit/audit-checkpoint-key.js';
import { compareWithCheckpoints, keyIdOf } from '../audit/audit-checkpoint.js';
import { CheckpointInputError, readCheckpointFile, readPublicKeys, type CheckpointFile } from './checkpoint-file.js';

const USAGE =
  'Usage: verify-audit [--from <seq>] [--to <seq>] [--checkpoints <file> --public-key <pem>...] [--json]\n' +
  '                    (reads POSTERN_DATABASE_URL)\n' +
  '       verify-audit --file <export.jsonl> [--checkpoints <file> --public-key <pem>...] [--json]\n' +
  '       verify-audit --print-public-key [--json]   (derives it from this environment)\n';

type Verification = AuditVerification & {
  checkpoints?: { verified: number; refused: CheckpointFile['refused']; skippedLines: number };
};

/** Where a checkpoint's seq is looked up: the database, or the exported file. */
type HashAt = (seq: bigint) => Promise<Buffer | null>;

function render(v: Verification, what: string): string {
  const range = v.firstSeq === null ? 'no events' : `seq ${v.firstSeq} to ${v.lastSeq}`;
  const lines = [`${what}: ${v.ok ? 'OK' : 'TAMPERED'} (${v.checked} events, ${range})`];
  if (v.legacy > 0) lines.push(`${v.legacy} events predate the hash chain and cannot be verified`);
  if (v.headHash) lines.push(`head hash ${v.headHash} at seq ${v.lastSeq}`);
  if (v.firstBadSeq !== null) lines.push(`first bad seq ${v.firstBadSeq}`);
  for (const p of v.problems) lines.push(`  seq ${p.seq}: ${p.problem}: ${p.detail}`);
  if (v.problemCount > v.problems.length) lines.push(`  … and ${v.problemCount - v.problems.length} more`);
  if (v.checkpoints) {
    lines.push(`checkpoints: ${v.checkpoints.verified} verified, ${v.checkpoints.refused.length} refused`);
    for (const r of v.checkpoints.refused) lines.push(`  checkpoint on line ${r.line} refused: ${r.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

async function fromDatabase(
  from: string | undefined,
  to: string | undefined,
  withCheckpoints: (v: AuditVerification, hashAt: HashAt, toGiven: boolean) => Promise<Verification>,
): Promise<Verification> {
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
    const repository = new AuditRepository(prisma);
    const verification = await new AuditVerifier(repository).verify({
      ...(fromSeq === undefined ? {} : { fromSeq }),
      ...(toSeq === undefined ? {} : { toSeq }),
    });
    return await withCheckpoints(verification, (seq) => repository.hashAt(seq), toSeq !== undefined);
  } finally {
    await prisma.$disconnect();
  }
}

/** An export holds what it holds: its first event's link is the anchor; hashes are looked up in it. */
async function fromFile(
  path: string,
  withCheckpoints: (v: AuditVerification, hashAt: HashAt, toGiven: boolean) => Promise<Verification>,
): Promise<Verification> {
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
  const hashes = new Map(rows.map((r) => [r.seq, r.hash] as const));
  const verification: AuditVerification = {
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
  return withCheckpoints(verification, async (seq) => hashes.get(seq) ?? null, false);
}

/**
 * Adds what the signed checkpoints say to a verification. With `--to`, checkpoints past it are
 * outside the range read and not compared; without, the range ends at the log's head.
 */
function checkpointsFrom(path: string | undefined, keyFiles: string[]) {
  return async (verification: AuditVerification, hashAt: HashAt, toGiven: boolean): Promise<Verification> => {
    if (path === undefined) return verification;
    const file = await readCheckpointFile(path, readPublicKeys(keyFiles));
    const inRange = file.accepted.filter((c) => !toGiven || c.seq <= verification.toSeq);
    const found = await compareWithCheckpoints(
      inRange,
      { fromSeq: verification.fromSeq, head: verification.lastSeq },
      hashAt,
    );
    const problems = [...verification.problems, ...found].sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
    return {
      ...verification,
      ok: verification.ok && found.length === 0 && file.refused.length === 0,
      problems,
      problemCount: verification.problemCount + found.length,
      firstBadSeq: problems[0]?.seq ?? null,
      checkpoints: { verified: file.accepted.length, refused: file.refused, skippedLines: file.skipped },
    };
  };
}

/** The checkpoint public key of the configuration in this environment (never a placeholder). */
function printPublicKey(json: boolean | undefined): number {
  const env = process.env;
  if (
    !env['POSTERN_AUDIT_CHECKPOINT_KEY'] &&
    !env['POSTERN_SECRETS_ENCRYPTION_KEY'] &&
    !env['POSTERN_BOOTSTRAP_ADMIN_TOKEN']
  ) {
    process.stderr.write(
      "--print-public-key needs the control plane's key settings: POSTERN_AUDIT_CHECKPOINT_KEY, " +
        'or POSTERN_SECRETS_ENCRYPTION_KEY, or POSTERN_BOOTSTRAP_ADMIN_TOKEN\n',
    );
    return 2;
  }
  const explicitKey = Boolean(env['POSTERN_AUDIT_CHECKPOINT_KEY'] || env['POSTERN_SECRETS_ENCRYPTION_KEY']);
  const config = loadConfig({
    // The bootstrap token is the key material only when neither key is set: then it must be the real one.
    ...(explicitKey ? { POSTERN_BOOTSTRAP_ADMIN_TOKEN: 'x'.repeat(32) } : {}),
    POSTERN_GRPC_INSECURE: 'true',
    POSTERN_RELAY_POSTGRES_PORT: 'off',
    ...env,
  });
  const key = checkpointSigningKey(config);
  const pem = publicKeyPem(key);
  process.stdout.write(json ? `${JSON.stringify({ keyId: keyIdOf(key), publicKeyPem: pem }, null, 2)}\n` : pem);
  return 0;
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
        checkpoints: { type: 'string' },
        'public-key': { type: 'string', multiple: true },
        'print-public-key': { type: 'boolean' },
      },
    });
  } catch {
    process.stderr.write(USAGE);
    return 2;
  }
  const { from, to, file, json, checkpoints } = parsed.values;
  const keyFiles = parsed.values['public-key'] ?? [];
  if (parsed.values['print-public-key']) return printPublicKey(json);
  if (
    (file !== undefined && (from !== undefined || to !== undefined)) ||
    (checkpoints === undefined) !== (keyFiles.length === 0)
  ) {
    process.stderr.write(USAGE);
    return 2;
  }
  const withCheckpoints = checkpointsFrom(checkpoints, keyFiles);
  const verification =
    file === undefined ? await fromDatabase(from, to, withCheckpoints) : await fromFile(file, withCheckpoints);
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
  const known =
    error instanceof ConfigError ||
    error instanceof DomainError ||
    error instanceof ExportFormatError ||
    error instanceof CheckpointInputError;
  const code = (error as NodeJS.ErrnoException).code;
  process.stderr.write(`${known || code === 'ENOENT' ? (error as Error).message : (error as Error).stack}\n`);
  process.exitCode = 2;
}
