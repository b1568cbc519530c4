import { initShellParser } from '@postern/policy-ssh';
import type { EngineModule } from '../engine-module.js';
import { loadOrCreateHostKey } from './host-key.js';
import { SshEngine } from './ssh-engine.js';

/**
 * SSH: the bash grammar (WebAssembly) is loaded before any session; the engine's host key is
 * `<state dir>/ssh-host-key`, generated at the first start, and its fingerprint logged so that
 * operators can publish it for clients' known_hosts.
 */
export const sshModule: EngineModule = {
  protocol: 'ssh',
  init: () => initShellParser(),
  create: ({ config, logger }) => {
    const hostKey = loadOrCreateHostKey(config.stateDir);
    logger.info({ fingerprint: hostKey.fingerprint, publicKey: hostKey.publicLine }, 'ssh engine host key');
    return new SshEngine({ hostKey, logger });
  },
};
