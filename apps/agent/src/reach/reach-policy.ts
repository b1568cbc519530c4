import { BlockList, isIP } from 'node:net';
import { posix } from 'node:path';

/**
 * What this agent may reveal and where it may dial, from its own configuration (DESIGN.md §6b):
 * the control plane names a connection's secret reference and target, the agent decides whether
 * it resolves the one and dials the other. Pure: parsing and matching, no I/O.
 */
export interface ReachSettings {
  /** `env:NAME`, `env:PREFIX*`, `env:*`, `file:/exact/path`, `file:/dir/` (a prefix). Empty: none. */
  secrets: readonly string[];
  /** `host[:port]`: a name, `*.suffix`, an IP, a CIDR, `[v6]` / `[v6/len]`, or `*`. Empty: none. */
  targets: readonly string[];
  /** Targets (same syntax) that may get a cleartext or MD5 password without verified TLS. */
  plainPasswordTargets: readonly string[];
  /** The agent's own secrets, never resolvable whatever `secrets` says. */
  never: { files: readonly string[]; env: readonly string[] };
}

export type ReachRefusal = 'secret_not_allowed' | 'target_not_allowed' | 'plain_password_not_allowed';

/**
 * The agent's configuration does not allow what a connection asks for. `message` is for the
 * client and the audit trail: it names the rule, never a secret.
 */
export class ReachRefusedError extends Error {
  override readonly name = 'ReachRefusedError';

  constructor(
    readonly refusal: ReachRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** A malformed allow-list entry (reported at boot, naming the variable). */
export class ReachEntryError extends Error {}

interface TargetRule {
  /** Lower-case host name, `*.suffix` pattern, or null for an address rule. */
  name: string | null;
  addresses: BlockList | null;
  /** null: any port. */
  port: number | null;
  any: boolean;
}

/** Files under these are never secrets, whatever the list says: the kernel's views of processes. */
const SYSTEM_PREFIXES = ['/proc/', '/sys/', '/dev/'];

export class ReachPolicy {
  private readonly envNames = new Set<string>();
  private readonly envPrefixes: string[] = [];
  private readonly files = new Set<string>();
  private readonly fileDirs: string[] = [];
  private readonly neverFiles: string[];
  private readonly neverEnv: ReadonlySet<string>;
  private readonly targets: TargetRule[];
  private readonly plainPassword: TargetRule[];

  constructor(settings: ReachSettings) {
    for (const entry of settings.secrets) this.addSecret(entry);
    this.targets = settings.targets.map(parseTarget);
    this.plainPassword = settings.plainPasswordTargets.map(parseTarget);
    this.neverFiles = [...SYSTEM_PREFIXES, ...settings.never.files.map((p) => posix.resolve(p))];
    this.neverEnv = new Set(settings.never.env);
  }

  /** True when at least one target may be dialled (for the boot log). */
  get dialsAnything(): boolean {
    return this.targets.length > 0;
  }

  /** Checks a reference before it is resolved; returns the normalised file path for `file:`. */
  secret(ref: string): { kind: 'env'; name: string } | { kind: 'file'; path: string } {
    if (ref.startsWith('env:')) {
      const name = ref.slice(4);
      const listed = this.envNames.has(name) || this.envPrefixes.some((prefix) => name.startsWith(prefix));
      if (this.neverEnv.has(name)) throw refusedSecret(ref, "it is one of the agent's own credentials");
      if (!listed) throw refusedSecret(ref, 'it is not in POSTERN_AGENT_SECRET_ALLOW');
      return { kind: 'env', name };
    }
    if (ref.startsWith('file:/')) {
      const path = posix.resolve(ref.slice(5));
      this.file(path, ref);
      return { kind: 'file', path };
    }
    throw refusedSecret(ref, 'a secret reference must be env:NAME or file:/path');
  }

  /**
   * A file path (as named, or as the file system resolves it: symlinks are followed before
   * reading, so a link into the agent's state directory is caught too). `named` is the path the
   * reference names when `path` is what it resolved to: an exactly listed file may be a link
   * within its own directory, as every key of a Kubernetes Secret volume or a Secrets Store CSI
   * mount is (`password` → `..data/password` → `..2026_12_08_…/password`); a link anywhere else
   * is refused.
   */
  file(path: string, ref = `file:${path}`, named?: string): void {
    if (this.neverFiles.some((never) => isUnder(path, never))) {
      throw refusedSecret(ref, "it is inside the agent's own state or credential files");
    }
    if (this.files.has(path) || this.fileDirs.some((dir) => isUnder(path, dir))) return;
    if (named !== undefined && this.files.has(named)) {
      const dir = posix.dirname(named);
      if (dir !== '/' && isUnder(path, `${dir}/`)) return;
    }
    throw refusedSecret(ref, 'it is not in POSTERN_AGENT_SECRET_ALLOW');
  }

  /** Whether `host:port` (and the address it resolved to) may be dialled. */
  target(host: string, address: string, port: number): void {
    if (!this.targets.some((rule) => matches(rule, host, address, port))) {
      throw new ReachRefusedError(
        'target_not_allowed',
        `the agent does not connect to ${display(host, port)}: not in its POSTERN_AGENT_TARGET_ALLOW`,
      );
    }
  }

  /** A cleartext or MD5 password may go only over verified TLS, or to a target listed for it. */
  plainPasswordAllowed(host: string, address: string, port: number): boolean {
    return this.plainPassword.some((rule) => matches(rule, host, address, port));
  }

  private addSecret(entry: string): void {
    if (entry === 'env:*') return void this.envPrefixes.push('');
    if (/^env:[A-Za-z_][A-Za-z0-9_]*\*$/.test(entry)) return void this.envPrefixes.push(entry.slice(4, -1));
    if (/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(entry)) return void this.envNames.add(entry.slice(4));
    if (entry.startsWith('file:/')) {
      const path = entry.slice(5);
      if (path.endsWith('/')) return void this.fileDirs.push(posix.resolve(path) + (path === '/' ? '' : '/'));
      return void this.files.add(posix.resolve(path));
    }
    throw new ReachEntryError(`"${entry}" must be env:NAME, env:PREFIX*, file:/path or file:/directory/`);
  }
}

function refusedSecret(ref: string, why: string): ReachRefusedError {
  const shown = ref.length > 200 ? `${ref.slice(0, 200)}…` : ref;
  return new ReachRefusedError('secret_not_allowed', `the agent does not resolve the secret ${shown}: ${why}`);
}

/** `path` is `prefix` itself (a file) or lies under it (a directory prefix ending in '/'). */
function isUnder(path: string, prefix: string): boolean {
  if (prefix.endsWith('/')) return path.startsWith(prefix) || path === prefix.slice(0, -1);
  return path === prefix || path.startsWith(`${prefix}/`);
}

function display(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses one `host[:port]` entry of a target list. */
export function parseTarget(entry: string): TargetRule {
  if (entry === '*') return { name: null, addresses: null, port: null, any: true };
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (entry.split(':').length > 2) {
    host = entry; // a bare IPv6 address or CIDR, no port
  } else {
    [host, portText] = entry.split(':') as [string, string | undefined];
  }
  const port = portText === undefined ? null : Number(portText);
  if (port !== null && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new ReachEntryError(`"${entry}": the port must be 1-65535`);
  }
  const [ip, bits] = host.split('/') as [string, string | undefined];
  const family = isIP(ip);
  if (family !== 0) {
    const list = new BlockList();
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(ip, type);
    else {
      const prefix = Number(bits);
      if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) {
        throw new ReachEntryError(`"${entry}": bad prefix length /${bits}`);
      }
      list.addSubnet(ip, prefix, type);
    }
    return { name: null, addresses: list, port, any: false };
  }
  if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host)) {
    throw new ReachEntryError(
      `"${entry}" must be a host name, *.domain, an IP address or a CIDR, with an optional :port`,
    );
  }
  return { name: host.toLowerCase(), addresses: null, port, any: false };
}

function matches(rule: TargetRule, host: string, address: string, port: number): boolean {
  if (rule.port !== null && rule.port !== port) return false;
  if (rule.any) return true;
  if (rule.addresses !== null) {
    const family = isIP(address);
    return family !== 0 && rule.addresses.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
  const name = host.toLowerCase().replace(/\.$/, '');
  if (rule.name!.startsWith('*.')) return name.endsWith(rule.name!.slice(1));
  return name === rule.name;
}
