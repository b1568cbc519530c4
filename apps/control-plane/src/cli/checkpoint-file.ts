import { createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { checkpointVerifies, parseCheckpointLine, type AuditCheckpoint } from '../audit/audit-checkpoint.js';

export interface RefusedCheckpoint {
  line: number;
  reason: string;
}

export interface CheckpointFile {
  /** Checkpoints whose signature verifies under one of the public keys. */
  accepted: AuditCheckpoint[];
  /** Lines that claim to be checkpoints but are malformed or not signed by any of the keys. */
  refused: RefusedCheckpoint[];
  /** Other lines (a whole log file may be given): not checkpoints, ignored. */
  skipped: number;
}

export class CheckpointInputError extends Error {
  override readonly name = 'CheckpointInputError';
}

/** Ed25519 public keys from PEM files (SPKI, or a private key whose public half is taken). */
export function readPublicKeys(paths: string[]): KeyObject[] {
  return paths.map((path) => {
    let key: KeyObject;
    try {
      key = createPublicKey(readFileSync(path, 'utf8'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CheckpointInputError(
        `--public-key ${path}: ${code === 'ENOENT' ? 'no such file' : 'not a PEM public key'}`,
      );
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new CheckpointInputError(`--public-key ${path}: not an Ed25519 key (${key.asymmetricKeyType})`);
    }
    return key;
  });
}

/** Reads JSON lines of checkpoints as logged, and checks each one's signature. */
export async function readCheckpointFile(path: string, publicKeys: KeyObject[]): Promise<CheckpointFile> {
  const file: CheckpointFile = { accepted: [], refused: [], skipped: 0 };
  let lineNumber = 0;
  for await (const line of createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })) {
    lineNumber += 1;
    const parsed = parseCheckpointLine(line);
    if (parsed === null) {
      if (line.trim() !== '') file.skipped += 1;
    } else if (typeof parsed === 'string') {
      file.refused.push({ line: lineNumber, reason: parsed });
    } else if (!checkpointVerifies(parsed, publicKeys)) {
      file.refused.push({
        line: lineNumber,
        reason: `the signature does not verify (seq ${parsed.checkpoint.seq}, keyId ${parsed.keyId || 'none'})`,
      });
    } else {
      file.accepted.push(parsed.checkpoint);
    }
  }
  return file;
}
