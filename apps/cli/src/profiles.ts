import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './errors.js';

/** One named set of settings: which Postern, which IdP, how to print. */
export interface Profile {
  /** The Postern API (https://…, or http:// on loopback). */
  api?: string;
  issuer?: string;
  clientId?: string;
  /** Resource indicator for the API token; "" sends none. */
  audience?: string;
  output?: OutputFormat;
  /** PEM file to verify the relay's certificate with (else the one the API hands out, if any). */
  caFile?: string;
  /** Where to reach a protocol instead of the relay the API names: `postgres=127.0.0.1:6432`. */
  gateway?: Record<string, string>;
  /** A workload's platform token file (`postern login --token-file`), exchanged for credentials. */
  tokenFile?: string;
}

export type OutputFormat = 'table' | 'json';

export interface ConfigFile {
  version: 1;
  /** The profile used when neither --profile nor $POSTERN_PROFILE says. */
  current: string;
  profiles: Record<string, Profile>;
}

/** Settings `postern config set` accepts, with how each is checked. */
export const PROFILE_KEYS: Record<string, { describe: string; check?: (value: string) => string | null }> = {
  api: { describe: 'Postern API URL', check: (v) => (URL.canParse(v) ? null : 'must be a URL') },
  issuer: { describe: 'OpenID Provider URL', check: (v) => (URL.canParse(v) ? null : 'must be a URL') },
  clientId: { describe: 'public OIDC client of the CLI' },
  audience: { describe: 'resource indicator for the API token ("" for none)' },
  output: { describe: 'table or json', check: (v) => (v === 'table' || v === 'json' ? null : 'must be table or json') },
  caFile: { describe: "PEM file to verify the relay's certificate with" },
  'gateway.<protocol>': { describe: 'host:port to reach a protocol at instead of the relay' },
  tokenFile: { describe: "a workload's platform token file, exchanged for credentials (no OIDC sign-in)" },
};

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** `$POSTERN_CONFIG_DIR`, else `$XDG_CONFIG_HOME/postern`, else `~/.config/postern`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env['POSTERN_CONFIG_DIR']) return env['POSTERN_CONFIG_DIR'];
  return join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'postern');
}

export function configPath(env: NodeJS.ProcessEnv): string {
  return join(configDir(env), 'config.json');
}

/** The default profile keeps `credentials.json` (as before profiles); others `credentials-<name>.json`. */
export function credentialsPathFor(env: NodeJS.ProcessEnv, profile: string): string {
  return join(configDir(env), profile === 'default' ? 'credentials.json' : `credentials-${profile}.json`);
}

export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) throw new CliError(`invalid profile name ${JSON.stringify(name)}`, 2);
  return name;
}

export async function loadConfig(env: NodeJS.ProcessEnv): Promise<ConfigFile> {
  const path = configPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, current: 'default', profiles: {} };
    throw error;
  }
  let parsed: ConfigFile;
  try {
    parsed = JSON.parse(text) as ConfigFile;
  } catch {
    throw new CliError(`${path} is not valid JSON: fix it or remove it`);
  }
  if (parsed.version !== 1 || typeof parsed.profiles !== 'object' || parsed.profiles === null) {
    throw new CliError(`${path} is not a Postern configuration file`);
  }
  return { version: 1, current: parsed.current || 'default', profiles: parsed.profiles };
}

/** Written like the credentials: directory 0700, file 0600, through a temporary file. */
export async function saveConfig(env: NodeJS.ProcessEnv, config: ConfigFile): Promise<void> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Sets one key of a profile (dotted `gateway.postgres`), checked; an empty value removes it. */
export function setProfileKey(profile: Profile, key: string, value: string): Profile {
  const next: Profile = { ...profile, gateway: { ...profile.gateway } };
  if (key.startsWith('gateway.')) {
    const protocol = key.slice('gateway.'.length);
    if (!/^[a-z][a-z0-9]*$/.test(protocol)) throw new CliError(`unknown protocol in ${key}`, 2);
    if (value === '') delete next.gateway![protocol];
    else if (!/^[^\s:]+:\d{1,5}$/.test(value)) throw new CliError(`${key} must be host:port`, 2);
    else next.gateway![protocol] = value;
    return next;
  }
  const spec = PROFILE_KEYS[key];
  if (!spec)
    throw new CliError(`unknown setting ${JSON.stringify(key)} (known: ${Object.keys(PROFILE_KEYS).join(', ')})`, 2);
  if (value !== '' || key === 'audience') {
    const problem = value === '' ? null : (spec.check?.(value) ?? null);
    if (problem) throw new CliError(`${key} ${problem}`, 2);
    (next as Record<string, unknown>)[key] = value;
  } else {
    delete (next as Record<string, unknown>)[key];
  }
  return next;
}
