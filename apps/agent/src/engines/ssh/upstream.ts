import ssh2 from 'ssh2';
import type { EngineContext, ResolvedConnection } from '../engine.js';
import { describeError, SessionEnd } from '../common/index.js';
import { sshFingerprint } from './host-key.js';

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/**
 * Opens the SSH connection to the target with the connection's own credential (a private key or
 * a password from its secret reference, resolved on the agent) and verifies the target's host
 * key against the fingerprint pinned in the connection. There is no trust on first use: a
 * connection without a fingerprint, or a target presenting another key, is refused and audited.
 */
export async function connectUpstream(
  connection: ResolvedConnection,
  context: EngineContext,
  options: { timeoutMs: number },
): Promise<ssh2.Client> {
  const { target } = connection;
  const pinned = target.settings['hostKeyFingerprint'] ?? '';
  if (!FINGERPRINT.test(pinned)) {
    throw new SessionEnd('target_unreachable', `connection ${connection.name} has no valid hostKeyFingerprint`, {
      kind: 'internal',
      message: `connection "${connection.name}" has no pinned host key fingerprint: refused`,
    });
  }
  let secret: string;
  let address: string;
  try {
    secret = await context.resolveSecret(target.secretRef);
    address = await context.dialTarget(target.host, target.port);
  } catch (error) {
    throw new SessionEnd('target_unreachable', `target refused by the agent: ${describeError(error)}`, {
      kind: 'connection_lost',
      message: `the Postern agent may not reach connection "${connection.name}"`,
    });
  }
  const credential = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(secret) ? { privateKey: secret } : { password: secret };
  let presented = '';
  const client = new ssh2.Client();
  return new Promise<ssh2.Client>((resolve, reject) => {
    const fail = (error: SessionEnd): void => {
      client.removeAllListeners('ready');
      client.on('error', () => undefined);
      client.end();
      reject(error);
    };
    client.once('ready', () => {
      client.removeAllListeners('error');
      client.setNoDelay(true);
      resolve(client);
    });
    client.on('error', (error) => {
      if (presented !== '' && presented !== pinned) {
        context.audit({
          kind: 'target.refused',
          decision: 'host_key_mismatch',
          policyVersion: context.policy().version,
          details: { connection: connection.name, expected: pinned, presented },
        });
        fail(
          new SessionEnd('target_unreachable', `target host key ${presented} is not the pinned ${pinned}`, {
            kind: 'connection_lost',
            message:
              `the host key of connection "${connection.name}" does not match the key pinned in Postern ` +
              `(presented ${presented}, expected ${pinned}): refused`,
          }),
        );
        return;
      }
      fail(
        new SessionEnd('target_unreachable', `target connection failed: ${describeError(error)}`, {
          kind: 'connection_lost',
          message: `cannot open connection "${connection.name}": ${error.message}`,
        }),
      );
    });
    client.connect({
      host: address,
      port: target.port,
      username: target.user,
      ...credential,
      readyTimeout: options.timeoutMs,
      keepaliveInterval: 15_000,
      hostVerifier: (key: Buffer) => {
        presented = sshFingerprint(key);
        return presented === pinned;
      },
    });
  });
}
