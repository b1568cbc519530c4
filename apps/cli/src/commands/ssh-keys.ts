import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { clean, localTime } from '../format.js';

interface SshKeyRow {
  id: string;
  name: string;
  algorithm: string;
  fingerprint: string;
  bits: number;
  createdAt: string;
}

const FIELDS = 'id name algorithm fingerprint bits createdAt';
/** A .pub file is one line; anything much larger is not one. */
const MAX_FILE_BYTES = 16 * 1024;
/** Tried in this order when `postern ssh-keys add` is given no file (OpenSSH's default names). */
const DEFAULT_KEYS = ['id_ed25519.pub', 'id_ecdsa.pub', 'id_rsa.pub'];

/** `postern ssh-keys list`: the SSH public keys you log in to SSH connections with. */
export async function listSshKeys(context: CommandContext) {
  const api = await context.api();
  const { mySshKeys: rows } = await api.request<{ mySshKeys: SshKeyRow[] }>(
    `{ mySshKeys { ${FIELDS} } }`,
    {},
    context.signal,
  );
  context.printer.list(
    rows,
    [
      { header: 'id', value: (k: SshKeyRow) => k.id },
      { header: 'name', value: (k) => clean(k.name) },
      { header: 'type', value: (k) => `${k.algorithm} ${k.bits}` },
      { header: 'fingerprint', value: (k) => k.fingerprint },
      { header: 'added', value: (k) => localTime(k.createdAt) },
    ],
    'No SSH keys. Add one with: postern ssh-keys add ~/.ssh/id_ed25519.pub',
  );
  return 0;
}

/** `postern ssh-keys add [file] [--name n]`: registers a public key (`-` reads stdin). */
export async function addSshKey(
  context: CommandContext,
  file: string | undefined,
  flags: { name?: string },
  stdin: () => Promise<string> = readStdin,
) {
  const publicKey = (await readPublicKey(file, stdin)).trim();
  const api = await context.api();
  const { addMySshKey: key } = await api.request<{ addMySshKey: SshKeyRow }>(
    `mutation($input: AddSshKeyInput!) { addMySshKey(input: $input) { ${FIELDS} } }`,
    { input: { publicKey, name: flags.name ?? null } },
    context.signal,
  );
  context.printer.item(key, [
    ['id', key.id],
    ['name', clean(key.name)],
    ['type', `${key.algorithm} ${key.bits}`],
    ['fingerprint', key.fingerprint],
  ]);
  context.printer.note('Log in with it: ssh <your login>+<connection>@<agent or relay host>');
  return 0;
}

/** `postern ssh-keys remove <id or fingerprint>`: sessions opened with it end. */
export async function removeSshKey(context: CommandContext, idOrFingerprint: string) {
  const api = await context.api();
  let id = idOrFingerprint;
  if (idOrFingerprint.startsWith('SHA256:')) {
    const { mySshKeys: rows } = await api.request<{ mySshKeys: SshKeyRow[] }>(
      '{ mySshKeys { id fingerprint } }',
      {},
      context.signal,
    );
    const match = rows.find((k) => k.fingerprint === idOrFingerprint);
    if (!match) throw new CliError(`none of your SSH keys has the fingerprint ${idOrFingerprint}`, EXIT.failed);
    id = match.id;
  }
  const { removeSshKey: key } = await api.request<{ removeSshKey: SshKeyRow }>(
    `mutation($id: ID!) { removeSshKey(id: $id) { ${FIELDS} } }`,
    { id },
    context.signal,
  );
  context.printer.line(`Removed SSH key ${key.fingerprint} (${clean(key.name)}).`);
  return 0;
}

async function readPublicKey(file: string | undefined, stdin: () => Promise<string>): Promise<string> {
  if (file === '-') return stdin();
  const candidates = file === undefined ? DEFAULT_KEYS.map((name) => join(homedir(), '.ssh', name)) : [file];
  for (const path of candidates) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (file === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new CliError(`cannot read ${path}: ${(error as Error).message}`, EXIT.usage);
    }
    if (text.length > MAX_FILE_BYTES) throw new CliError(`${path} is not a public key file (too large)`, EXIT.usage);
    if (text.includes('PRIVATE KEY')) throw new CliError(`${path} is a private key: give the .pub file`, EXIT.usage);
    return text;
  }
  throw new CliError('no public key in ~/.ssh (id_ed25519.pub, id_ecdsa.pub, id_rsa.pub): name a file', EXIT.usage);
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.length > MAX_FILE_BYTES) throw new CliError('standard input is not a public key (too large)', EXIT.usage);
  }
  return text;
}
