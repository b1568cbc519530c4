import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { endpointFor, type Endpoint } from '../gateway.js';
import type { Minted, NativeClient } from '../native-clients.js';
import { usable } from '../resolve.js';
import { askpassHelper, CREDENTIAL_VARIABLE, pinHostKey, sshConfigBlock, sshOptions, sshUser } from '../ssh-client.js';

const LOGIN = '{ me { user { email subject } } }';

/**
 * `ssh` started by `postern connect <ssh connection>`: user `<login>+<connection>`, the gateway's
 * host key pinned from GraphQL into the profile's known_hosts (under its HostKeyAlias), and the
 * credential answered by an askpass helper from the environment (SSH_ASKPASS_REQUIRE=force), never
 * on a command line. With --via (an agent's own listener) the key is not pinned here: ssh checks
 * the user's usual known_hosts.
 */
export async function sshClient(
  context: CommandContext,
  endpoint: Endpoint,
  minted: Minted,
  extra: string[],
): Promise<NativeClient> {
  const { name: profile } = await context.load();
  const knownHosts = endpoint.sshHostKey ? await pinHostKey(context.env, profile, endpoint) : null;
  const askpass = await askpassHelper(context.env);
  return {
    command: 'ssh',
    args: [
      ...sshOptions(endpoint, knownHosts),
      '-l',
      sshUser(minted.loginName, minted.database),
      endpoint.host,
      ...extra,
    ],
    env: { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', [CREDENTIAL_VARIABLE]: minted.password },
  };
}

/**
 * `postern ssh-config <connection>`: pins the relay's SSH host key in the profile's known_hosts and
 * prints a `Host postern-<connection>` block for ~/.ssh/config, so that plain `ssh`, `scp` and
 * `sftp postern-<connection>` verify the gateway (the credential is then typed at the prompt, or
 * comes from `postern connect`).
 */
export async function sshConfig(context: CommandContext, name: string): Promise<number> {
  const connection = await usable(context, name);
  if (connection.protocol !== 'ssh') throw new CliError(`${name} is a ${connection.protocol} connection, not ssh`);
  const endpoint = await endpointFor(context, 'ssh');
  const { name: profile } = await context.load();
  const knownHosts = await pinHostKey(context.env, profile, endpoint);
  const api = await context.api();
  const { me } = await api.request<{ me: { user: { email: string | null; subject: string } | null } }>(
    LOGIN,
    {},
    context.signal,
  );
  const login = me.user?.email ?? me.user?.subject;
  if (!login) throw new CliError('postern ssh-config is for people signed in with OIDC (a service has no login name)');
  context.output.out(sshConfigBlock(name, login, endpoint, knownHosts));
  context.printer.note(
    `# host key pinned in ${knownHosts}; append the block to ~/.ssh/config, then: ssh postern-${name}`,
  );
  return 0;
}
