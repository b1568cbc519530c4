import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { parseDuration } from '../format.js';
import { endpointFor } from '../gateway.js';
import { configDir } from '../profiles.js';
import { usable } from '../resolve.js';

const MINT =
  'mutation($c: ID!, $ttl: Int) { mintMyConnectionCredential(connectionId: $c, ttlSeconds: $ttl) ' +
  '{ password credential { id expiresAt } } }';
/** A cached credential this close to its end is replaced (kubectl may run for a while with it). */
const RENEW_BEFORE_MS = 5 * 60_000;
/** The path prefix the agent's Kubernetes engine serves each connection under. */
const CONNECTION_PREFIX = '/k8s/';

type KubeEntry = { name: string; [key: string]: unknown };

/** The kubeconfig file kubectl reads first: --kubeconfig, else $KUBECONFIG's first entry, else ~/.kube/config. */
export function kubeconfigPath(env: NodeJS.ProcessEnv, explicit?: string): string {
  if (explicit) return explicit;
  const first = (env['KUBECONFIG'] ?? '').split(delimiter).find((entry) => entry !== '');
  return first ?? join(env['HOME'] ?? homedir(), '.kube', 'config');
}

/** How kubectl runs this CLI as its credential plugin (absolute paths: kubectl's PATH may differ). */
function pluginCommand(): { command: string; args: string[] } {
  const script = process.argv[1] ?? '';
  return script.endsWith('.js') ? { command: process.execPath, args: [script] } : { command: 'postern', args: [] };
}

/**
 * Merges the connection's cluster, user and context into a kubeconfig document: entries with the
 * same names are replaced, every other cluster, user, context and setting is kept as it was.
 */
export function mergeKubeconfig(
  existing: string,
  entries: { cluster: KubeEntry; user: KubeEntry; context: KubeEntry },
  use: boolean,
): string {
  const document = existing.trim() === '' ? null : parseDocument(existing);
  if (document && document.errors.length > 0) {
    throw new CliError(`the kubeconfig is not valid YAML (${document.errors[0]!.message}); it was left unchanged`);
  }
  const config = (document?.toJS() ?? {}) as Record<string, unknown>;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new CliError('the kubeconfig is not a mapping; it was left unchanged');
  }
  config['apiVersion'] ??= 'v1';
  config['kind'] ??= 'Config';
  const upsert = (key: 'clusters' | 'users' | 'contexts', entry: KubeEntry) => {
    const list = Array.isArray(config[key]) ? (config[key] as KubeEntry[]) : [];
    const at = list.findIndex((item) => item?.name === entry.name);
    if (at === -1) list.push(entry);
    else list[at] = entry;
    config[key] = list;
  };
  upsert('clusters', entries.cluster);
  upsert('users', entries.user);
  upsert('contexts', entries.context);
  if (use || !config['current-context']) config['current-context'] = entries.context.name;
  return stringify(config);
}

/** Writes a file readable by its owner only, through a temporary file (never half-written). */
async function writePrivate(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, text, { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * `postern kubeconfig <name>`: adds a context for a Kubernetes connection to the kubeconfig —
 * the agent's (or relay's) address with its CA (kubectl verifies it: never
 * insecure-skip-tls-verify) and `postern kube-credential <name>` as the exec credential plugin,
 * so kubectl always has a fresh short-lived credential and the file holds no secret.
 */
export async function kubeconfig(
  context: CommandContext,
  name: string,
  options: { via?: string; kubeconfig?: string; namespace?: string; contextName?: string; use?: boolean },
): Promise<number> {
  const connection = await usable(context, name);
  if (connection.protocol !== 'kubernetes')
    throw new CliError(`${name} is a ${connection.protocol} connection, not Kubernetes`);
  const endpoint = await endpointFor(context, 'kubernetes', options.via);
  if (endpoint.caFile === null) {
    throw new CliError(
      'kubectl must verify the agent or relay it reaches: set the CA of its certificate (postern config set caFile /path/ca.pem)',
      EXIT.usage,
    );
  }
  const ca = await readFile(endpoint.caFile);
  const { name: profile } = await context.load();
  const entryName = options.contextName ?? `postern-${name}`;
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const plugin = pluginCommand();
  const entries = {
    cluster: {
      name: entryName,
      cluster: {
        server: `https://${host}:${endpoint.port}${CONNECTION_PREFIX}${encodeURIComponent(name)}`,
        'certificate-authority-data': ca.toString('base64'),
      },
    },
    user: {
      name: entryName,
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: plugin.command,
          args: [...plugin.args, '--profile', profile, '--quiet', 'kube-credential', name],
          interactiveMode: 'Never',
          provideClusterInfo: false,
        },
      },
    },
    context: {
      name: entryName,
      context: { cluster: entryName, user: entryName, ...(options.namespace ? { namespace: options.namespace } : {}) },
    },
  };
  const path = kubeconfigPath(context.env, options.kubeconfig);
  let existing = '';
  try {
    existing = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await writePrivate(path, mergeKubeconfig(existing, entries, options.use === true));
  context.output.out(entryName);
  context.output.err(`context ${entryName} written to ${path}; try: kubectl --context ${entryName} get pods`);
  return 0;
}

interface CachedCredential {
  token: string;
  expiresAt: string;
}

/**
 * `postern kube-credential <name>`: kubectl's exec credential plugin. Prints an ExecCredential
 * (client.authentication.k8s.io/v1) with a connection credential and its expiry; the credential is
 * minted through the API with the profile's sign-in (refreshed as every command does) and kept in
 * the CLI's config directory (0600) until shortly before it ends, so a burst of kubectl commands
 * mints one credential, not one each.
 */
export async function kubeCredential(
  context: CommandContext,
  name: string,
  options: { ttl?: string },
): Promise<number> {
  const ttlSeconds = options.ttl === undefined ? 3600 : parseDuration(options.ttl);
  if (ttlSeconds === null) throw new CliError('--ttl must be a duration such as 30m or 2h', EXIT.usage);
  const { name: profile } = await context.load();
  const cacheFile = join(
    configDir(context.env),
    `kube-credential-${profile}-${Buffer.from(name).toString('hex')}.json`,
  );
  let credential: CachedCredential | null = null;
  try {
    const cached = JSON.parse(await readFile(cacheFile, 'utf8')) as CachedCredential;
    if (typeof cached.token === 'string' && Date.parse(cached.expiresAt) - Date.now() > RENEW_BEFORE_MS)
      credential = cached;
  } catch {
    // No usable cache: mint one.
  }
  if (credential === null) {
    const connection = await usable(context, name);
    if (connection.protocol !== 'kubernetes')
      throw new CliError(`${name} is a ${connection.protocol} connection, not Kubernetes`);
    const api = await context.api();
    const minted = (
      await api.request<{ mintMyConnectionCredential: { password: string; credential: { expiresAt: string } } }>(
        MINT,
        { c: connection.connectionId, ttl: ttlSeconds },
        context.signal,
      )
    ).mintMyConnectionCredential;
    credential = { token: minted.password, expiresAt: minted.credential.expiresAt };
    await writePrivate(cacheFile, `${JSON.stringify(credential)}\n`);
  }
  context.output.out(
    JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: {
        token: credential.token,
        expirationTimestamp: new Date(credential.expiresAt).toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    }),
  );
  return 0;
}
