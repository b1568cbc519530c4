export { sshModule } from './module.js';
export { SshEngine, type SshEngineOptions } from './ssh-engine.js';
export { generateHostKey, loadOrCreateHostKey, parseHostKey, sshFingerprint, type HostKey } from './host-key.js';
export { parseLogin, type SshLogin } from './login.js';
export { REFUSED_EXIT_STATUS } from './session-channel.js';
export { FORWARD_SETTING } from './forwarding.js';
export type { SshContext, SshSessionRules } from './rules.js';
