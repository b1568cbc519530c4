import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { TargetEndpoint } from './target-transport.js';

/** Where a cancel request for one session must go, with the target's real key. */
export interface CancelTarget {
  endpoint: TargetEndpoint;
  processId: number;
  secretKey: Buffer;
}

/** The key a client saw in BackendKeyData; `release()` forgets it when the session ends. */
export interface IssuedCancelKey {
  processId: number;
  secretKey: Buffer;
  release(): void;
}

interface Entry {
  secretKey: Buffer;
  target: CancelTarget;
}

const SECRET_KEY_BYTES = 4;
const MAX_PROCESS_ID = 0x7fff_ffff;

/**
 * Maps the (pid, secret) pairs this engine handed to clients to the target backends they stand
 * for. Clients never see a target's real key, so a cancel can only reach a backend through a
 * key we issued, and only while its session lives. Keys are random: the pid is not a counter a
 * client could walk, and the secret is compared in constant time.
 */
export class CancelRegistry {
  private readonly entries = new Map<number, Entry>();

  issue(target: CancelTarget): IssuedCancelKey {
    let processId: number;
    do processId = randomInt(1, MAX_PROCESS_ID);
    while (this.entries.has(processId));
    const entry: Entry = { secretKey: randomBytes(SECRET_KEY_BYTES), target };
    this.entries.set(processId, entry);
    return {
      processId,
      secretKey: entry.secretKey,
      release: () => {
        if (this.entries.get(processId) === entry) this.entries.delete(processId);
      },
    };
  }

  /** The target behind a key we issued, or undefined (an unknown key is silently dropped). */
  lookup(processId: number, secretKey: Buffer): CancelTarget | undefined {
    const entry = this.entries.get(processId);
    if (entry === undefined || entry.secretKey.length !== secretKey.length) return undefined;
    return timingSafeEqual(entry.secretKey, secretKey) ? entry.target : undefined;
  }

  /** Live sessions holding a key. */
  get size(): number {
    return this.entries.size;
  }
}
