// Signed checkpoints of the audit chain's head, against the built control plane and a real
// database: published to the logs periodically and on demand, verified by the verify CLI against
// the public key the API (and the CLI itself) gives. Tampering done directly in the database that
// the chain alone cannot reveal — the tail deleted, or the chain rebuilt consistently — is named
// against the checkpoints; a checkpoint that is not signed by the key is refused.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  REPO_ROOT,
  createTestDatabase,
  queryDatabase,
  startControlPlane,
  type ControlPlaneHandle,
  type TestDatabase,
} from '@postern/testing';
import { auditHash } from '../src/audit/audit-chain.js';

const run = promisify(execFile);
const VERIFY_CLI = `${REPO_ROOT}apps/control-plane/dist/cli/verify-audit.js`;

interface Published {
  msg?: string;
  checkpoint: { seq: string; hash: string; at: string };
  signature: string;
  keyId: string;
}

let database: TestDatabase;
let cp: ControlPlaneHandle;
let scratch: string;
let publicKeyFile: string;
let checkpointsFile: string;
/** The checkpoint published on demand (its seq is the one the tampering tests aim at). */
let onDemand: Published;

async function verifyCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [VERIFY_CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', POSTERN_DATABASE_URL: database.url, ...env },
    });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout + e.stderr };
  }
}

const withCheckpoints = (file = checkpointsFile) => ['--checkpoints', file, '--public-key', publicKeyFile];

async function admin<T>(query: string): Promise<T> {
  const response = await cp.admin<T>(query);
  if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
  return response.data!;
}

interface StoredRow {
  seq: string;
  id: string;
  at: Date;
  actor_id: string | null;
  actor_kind: string | null;
  kind: string;
  decision: string | null;
  connection_id: string | null;
  session_id: string | null;
  agent_id: string | null;
  rule_id: string | null;
  policy_version: string | null;
  details: Record<string, unknown>;
  prev_hash: Buffer;
  hash: Buffer;
}

const storedRows = () =>
  queryDatabase<StoredRow>(
    database.url,
    `SELECT seq::text, id::text, at, actor_id, actor_kind, kind, decision, connection_id::text, session_id::text,
            agent_id::text, rule_id, policy_version::text, details, prev_hash, hash FROM audit_events ORDER BY seq`,
  );

async function writeRow(seq: string, details: Record<string, unknown>, prevHash: Buffer, hash: Buffer) {
  await queryDatabase(database.url, 'UPDATE audit_events SET details = $2, prev_hash = $3, hash = $4 WHERE seq = $1', [
    seq,
    JSON.stringify(details),
    prevHash,
    hash,
  ]);
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'postern-checkpoints-'));
  database = await createTestDatabase('postern_audit_checkpoints');
  cp = await startControlPlane({
    databaseUrl: database.url,
    env: { POSTERN_RELAY_POSTGRES_PORT: 'off', POSTERN_AUDIT_CHECKPOINT_INTERVAL_SECONDS: '1' },
  });
  for (let i = 0; i < 6; i += 1) {
    await admin(`mutation { createGuardrail(input: { name: "g${i}", match: { statementKinds: ["DROP"] } }) { id } }`);
  }
}, 30_000);

afterAll(async () => {
  await cp?.process.stop();
  await database?.drop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('publishing', () => {
  test('on demand and periodically, one JSON line each in the logs; the public key from the API and the CLI', async () => {
    const { publishAuditCheckpoint } = await admin<{ publishAuditCheckpoint: { seq: string; line: string } }>(
      'mutation { publishAuditCheckpoint { seq hash at signature keyId line } }',
    );
    onDemand = JSON.parse(publishAuditCheckpoint.line) as Published;
    expect(BigInt(onDemand.checkpoint.seq)).toBeGreaterThanOrEqual(6n);
    const logged = await cp.process.waitForLog(
      (l) => l.msg === 'audit checkpoint' && (l as unknown as Published).signature === onDemand.signature,
    );
    expect((logged as unknown as Published).checkpoint).toEqual(onDemand.checkpoint);
    // The periodic publisher signs the head as it moved on (the on-demand call was audited).
    await cp.process.waitForLog(
      (l) =>
        l.msg === 'audit checkpoint' &&
        BigInt((l as unknown as Published).checkpoint.seq) > BigInt(onDemand.checkpoint.seq),
      // A 1 s BullMQ schedule; generous for a loaded machine (the wait ends at the event).
      60_000,
      'a periodic checkpoint past the on-demand one',
    );

    const { auditCheckpointKey } = await admin<{ auditCheckpointKey: { keyId: string; publicKeyPem: string } }>(
      '{ auditCheckpointKey { keyId publicKeyPem } }',
    );
    expect(auditCheckpointKey.keyId).toBe(onDemand.keyId);
    const printed = await verifyCli(['--print-public-key'], { POSTERN_BOOTSTRAP_ADMIN_TOKEN: cp.adminToken });
    expect(printed).toEqual({ code: 0, stdout: auditCheckpointKey.publicKeyPem });
    publicKeyFile = join(scratch, 'checkpoint.pub');
    writeFileSync(publicKeyFile, auditCheckpointKey.publicKeyPem);

    // The whole log as the operator keeps it: checkpoint lines among all the others.
    checkpointsFile = join(scratch, 'control-plane.log');
    writeFileSync(checkpointsFile, cp.process.logs.map((l) => JSON.stringify(l)).join('\n'));
  }, 90_000);

  test('the intact log verifies against its checkpoints', async () => {
    const cli = await verifyCli(withCheckpoints());
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/audit log: OK/);
    expect(cli.stdout).toMatch(/checkpoints: [2-9]\d* verified, 0 refused/);
  });
});

describe('checkpoints not signed by the key', () => {
  test('a forged or altered checkpoint is refused, and the verdict fails', async () => {
    const head = (await storedRows()).at(-1)!;
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const forged = { seq: String(BigInt(head.seq) + 50n), hash: 'ab'.repeat(32), at: new Date().toISOString() };
    const message = `postern-audit-checkpoint v1\n${JSON.stringify(forged)}`;
    const lines = [
      JSON.stringify(onDemand),
      JSON.stringify({ ...onDemand, checkpoint: { ...onDemand.checkpoint, seq: forged.seq } }),
      JSON.stringify({ checkpoint: forged, signature: sign(null, Buffer.from(message), stranger).toString('base64') }),
    ];
    const file = join(scratch, 'forged.jsonl');
    writeFileSync(file, lines.join('\n'));
    const cli = await verifyCli(withCheckpoints(file));
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain('checkpoints: 1 verified, 2 refused');
    expect(cli.stdout).toContain('checkpoint on line 2 refused: the signature does not verify');
    expect(cli.stdout).toContain('checkpoint on line 3 refused: the signature does not verify');
    // A refused checkpoint claims nothing: the log is not reported truncated.
    expect(cli.stdout).not.toContain('truncated');
  });
});

describe('tampering the chain alone cannot reveal', () => {
  test('a chain rebuilt consistently from before a checkpoint is reported rewritten at its seq', async () => {
    const rows = await storedRows();
    const target = BigInt(onDemand.checkpoint.seq) - 2n;
    const from = rows.findIndex((r) => BigInt(r.seq) === target);
    let prevHash = rows[from]!.prev_hash;
    for (const row of rows.slice(from)) {
      const details = BigInt(row.seq) === target ? { ...row.details, name: 'harmless' } : row.details;
      const hash = auditHash(prevHash, {
        id: row.id,
        at: row.at,
        actorId: row.actor_id,
        actorKind: row.actor_kind,
        kind: row.kind,
        decision: row.decision,
        connectionId: row.connection_id,
        sessionId: row.session_id,
        agentId: row.agent_id,
        ruleId: row.rule_id,
        policyVersion: row.policy_version === null ? null : BigInt(row.policy_version),
        details,
      });
      await writeRow(row.seq, details, prevHash, hash);
      prevHash = hash;
    }
    // The rebuilt chain is consistent in itself…
    expect((await verifyCli([])).code).toBe(0);
    // …but not with what was signed before.
    const cli = await verifyCli(withCheckpoints());
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`seq ${onDemand.checkpoint.seq}: rewritten`);

    for (const row of rows.slice(from)) await writeRow(row.seq, row.details, row.prev_hash, row.hash);
    expect((await verifyCli(withCheckpoints())).code).toBe(0);
  });

  test('the tail deleted by SQL is reported truncated', async () => {
    const keep = BigInt(onDemand.checkpoint.seq) - 3n;
    await queryDatabase(database.url, 'DELETE FROM audit_events WHERE seq > $1', [String(keep)]);
    // The chain that is left is intact in itself…
    const alone = await verifyCli([]);
    expect(alone.code).toBe(0);
    expect(alone.stdout).toContain(`seq 1 to ${keep}`);
    // …but ends before events that checkpoints saw.
    const cli = await verifyCli(withCheckpoints());
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(
      new RegExp(`seq ${keep + 1n}: truncated: the log ends at seq ${keep}, but a checkpoint`),
    );
    expect(cli.stdout).toContain(`first bad seq ${keep + 1n}`);
  });
});
