import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from './errors.js';
import type { Endpoint } from './gateway.js';
import { configDir } from './profiles.js';

/** The environment variable the askpass helper reads the credential from (never argv). */
export const CREDENTIAL_VARIABLE = 'POSTERN_SSH_CREDENTIAL';

/**
 * The askpass helper OpenSSH runs for the password or keyboard-interactive prompt: it answers
 * only those prompts (not, say, a host key confirmation) with the credential from its environment,
 * so the secret is in no command line and no file.
 */
const ASKPASS = `#!/bin/sh
# Written by postern: answers ssh's Postern credential prompt from ${CREDENTIAL_VARIABLE}.
case "$1" in
  *assword*|*credential*) printf '%s\\n' "$${CREDENTIAL_VARIABLE}" ;;
  *) exit 1 ;;
esac
`;

/** Where the CLI keeps the host keys it pinned for a profile. */
export function knownHostsFile(env: NodeJS.ProcessEnv, profile: string): string {
  return join(configDir(env), profile === 'default' ? 'known_hosts' : `known_hosts-${profile}`);
}

/**
 * Writes the relay's published known_hosts line into the profile's own known_hosts file (under
 * its HostKeyAlias), replacing an older line of the same alias. Refuses when the relay publishes
 * no key: ssh would otherwise have nothing to verify the gateway with.
 */
export async function pinHostKey(env: NodeJS.ProcessEnv, profile: string, endpoint: Endpoint): Promise<string> {
  const key = endpoint.sshHostKey;
  if (!key) {
    throw new CliError(
      'the relay publishes no SSH host key (is ssh in POSTERN_RELAY_PROTOCOLS?); with --via, verify the agent ' +
        "key yourself (postern ssh-config prints the relay's only)",
    );
  }
  const file = knownHostsFile(env, profile);
  await mkdir(configDir(env), { recursive: true, mode: 0o700 });
  const existing = await readFile(file, 'utf8').catch(() => '');
  const others = existing.split('\n').filter((line) => line !== '' && !line.startsWith(`${key.hostKeyAlias} `));
  await writeFile(file, [...others, key.knownHostsLine, ''].join('\n'), { mode: 0o644 });
  return file;
}

/** The askpass helper's path, written (mode 0700) if missing or outdated. */
export async function askpassHelper(env: NodeJS.ProcessEnv): Promise<string> {
  const file = join(configDir(env), 'ssh-askpass');
  await mkdir(configDir(env), { recursive: true, mode: 0o700 });
  if ((await readFile(file, 'utf8').catch(() => '')) !== ASKPASS) await writeFile(file, ASKPASS, { mode: 0o700 });
  await chmod(file, 0o700);
  return file;
}

/** The SSH user name: the Postern login and the connection, joined by `+`. */
export function sshUser(login: string, connection: string): string {
  return `${login}+${connection}`;
}

/** OpenSSH options that pin the gateway's key and offer only the credential methods. */
export function sshOptions(endpoint: Endpoint, knownHosts: string | null): string[] {
  const pin =
    endpoint.sshHostKey && knownHosts
      ? [
          '-o',
          `HostKeyAlias=${endpoint.sshHostKey.hostKeyAlias}`,
          '-o',
          `UserKnownHostsFile=${knownHosts}`,
          '-o',
          'StrictHostKeyChecking=yes',
        ]
      : [];
  return [
    ...pin,
    '-o',
    'PreferredAuthentications=keyboard-interactive,password',
    '-o',
    'PubkeyAuthentication=no',
    '-p',
    String(endpoint.port),
  ];
}

/** An ssh_config block for `Host postern-<connection>`: plain ssh, scp and sftp then verify the gateway. */
export function sshConfigBlock(connection: string, login: string, endpoint: Endpoint, knownHosts: string): string {
  const key = endpoint.sshHostKey!;
  return [
    `# Postern: ${connection} through ${endpoint.host}:${endpoint.port} (host key ${key.fingerprint})`,
    `Host postern-${connection}`,
    `  HostName ${endpoint.host}`,
    `  Port ${endpoint.port}`,
    `  User ${sshUser(login, connection)}`,
    `  HostKeyAlias ${key.hostKeyAlias}`,
    `  UserKnownHostsFile ${knownHosts}`,
    '  StrictHostKeyChecking yes',
    '  PreferredAuthentications keyboard-interactive,password',
    '  PubkeyAuthentication no',
    '',
  ].join('\n');
}
