/*
 * Upgraded connections (WebSocket, and Kubernetes' exec/port-forward over WebSocket): once both
 * sides switched protocols, bytes are piped both ways with backpressure and counted; either side
 * closing, an error, a byte limit or the session's abort ends both.
 */
import type { Duplex } from 'node:stream';

export interface UpgradedResult {
  bytesFromClient: number;
  bytesFromUpstream: number;
  endedBy: 'client' | 'upstream' | 'aborted' | 'limit' | 'error';
}

export interface PipeUpgradedOptions {
  signal: AbortSignal;
  /** Total bytes (both ways) after which the connection is cut; 0: no limit. */
  maxBytes?: number;
  /** Called for each chunk (recording a sample, counting frames); must not keep the chunk. */
  onChunk?(direction: 'client' | 'upstream', chunk: Buffer): void;
}

/** Pipes until either side ends; resolves with the counts, never rejects. */
export function pipeUpgraded(client: Duplex, upstream: Duplex, options: PipeUpgradedOptions): Promise<UpgradedResult> {
  const result: UpgradedResult = { bytesFromClient: 0, bytesFromUpstream: 0, endedBy: 'client' };
  const max = options.maxBytes ?? 0;
  return new Promise((resolve) => {
    let done = false;
    const finish = (endedBy: UpgradedResult['endedBy']) => {
      if (done) return;
      done = true;
      result.endedBy = endedBy;
      options.signal.removeEventListener('abort', onAbort);
      client.destroy();
      upstream.destroy();
      resolve(result);
    };
    const onAbort = () => finish('aborted');
    const relay = (from: Duplex, to: Duplex, direction: 'client' | 'upstream') => {
      from.on('data', (chunk: Buffer) => {
        if (direction === 'client') result.bytesFromClient += chunk.length;
        else result.bytesFromUpstream += chunk.length;
        options.onChunk?.(direction, chunk);
        if (max > 0 && result.bytesFromClient + result.bytesFromUpstream > max) {
          finish('limit');
          return;
        }
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.on('end', () => to.end());
      from.on('close', () => finish(direction));
      from.on('error', () => finish('error'));
    };
    if (options.signal.aborted) {
      finish('aborted');
      return;
    }
    options.signal.addEventListener('abort', onAbort, { once: true });
    relay(client, upstream, 'client');
    relay(upstream, client, 'upstream');
  });
}

/** The 101 answer to the client, from the upstream's headers (hop-by-hop ones are part of an upgrade). */
export function switchingProtocols(headers: Record<string, string | string[] | undefined>): string {
  let head = 'HTTP/1.1 101 Switching Protocols\r\n';
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (/[\r\n]/.test(v)) continue;
      head += `${name}: ${v}\r\n`;
    }
  }
  return `${head}\r\n`;
}
