import type { PublicHostKey } from '@postern/proto';
import type { EngineRegistry } from '../engines/engine.js';

/** What an engine terminating SSH exposes about its host key (the SSH engine's `hostKey`). */
interface HostKeyHolder {
  hostKey: { publicLine: string; fingerprint: string };
}

function holdsHostKey(engine: unknown): engine is HostKeyHolder {
  const key = (engine as Partial<HostKeyHolder> | undefined)?.hostKey;
  return typeof key?.publicLine === 'string' && typeof key.fingerprint === 'string';
}

/**
 * The public host keys the agent announces in its hello: the SSH engine's, so that the control
 * plane can publish it for clients' known_hosts and its SSH relay can verify the agent it dials.
 * Read from the engine rather than from its file, so the key announced is the key served.
 */
export function publishedHostKeys(engines: Pick<EngineRegistry, 'get'>): PublicHostKey[] {
  const ssh = engines.get('ssh');
  if (!holdsHostKey(ssh)) return [];
  return [{ protocol: 'ssh', publicKey: ssh.hostKey.publicLine, fingerprint: ssh.hostKey.fingerprint }];
}
