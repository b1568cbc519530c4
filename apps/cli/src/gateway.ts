import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandContext } from './context.js';
import { CliError, EXIT } from './errors.js';
import { configDir } from './profiles.js';

/** Where a client reaches a protocol, and how to verify it. */
export interface Endpoint {
  host: string;
  port: number;
  /** 'verify-full': TLS with the CA in `caFile`; 'disable': a plaintext listener (development, loopback). */
  tls: 'verify-full' | 'prefer' | 'disable';
  caFile: string | null;
  /** SSH relay: the host key clients pin, as GraphQL publishes it (null: not known, e.g. with --via). */
  sshHostKey?: SshHostKey | null;
}

/** A published SSH host key: the alias it is pinned under and its known_hosts line. */
export interface SshHostKey {
  hostKeyAlias: string;
  knownHostsLine: string;
  fingerprint: string;
}

interface GatewayAnswer {
  gateway: {
    relays: Array<{
      protocol: string;
      host: string | null;
      port: number;
      tls: boolean;
      sshHostKey: SshHostKey | null;
    }>;
    relayCaPem: string | null;
  };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?)$/;

/**
 * The endpoint for `protocol`: `--via host:port`, else the profile's `gateway.<protocol>`, else the
 * relay the API names (its host, or the API URL's host). TLS is verified against the profile's
 * CA file or the CA the API hands out; a TLS endpoint with no CA known is an error, never an
 * unverified connection.
 */
export async function endpointFor(context: CommandContext, protocol: string, via?: string): Promise<Endpoint> {
  const { profile, name } = await context.load();
  const override = via ?? profile.gateway?.[protocol];
  if (override) {
    const match = /^(.+):(\d{1,5})$/.exec(override);
    if (!match) throw new CliError(`--via must be host:port (got ${JSON.stringify(override)})`, EXIT.usage);
    const host = match[1]!;
    const caFile = profile.caFile ?? null;
    // A listener on this machine (the agent's local ingress) may be plaintext; anything else is verified.
    const tls = caFile ? 'verify-full' : LOOPBACK.test(host) ? 'prefer' : null;
    if (tls === null) {
      throw new CliError(
        `${host} is not on this machine: set the CA to verify it with (postern config set caFile /path/ca.pem)`,
        EXIT.usage,
      );
    }
    return { host, port: Number(match[2]), tls, caFile };
  }
  const api = await context.api();
  const { gateway } = await api.request<GatewayAnswer>(
    '{ gateway { relays { protocol host port tls sshHostKey { hostKeyAlias knownHostsLine fingerprint } } relayCaPem } }',
    {},
    context.signal,
  );
  const relay = gateway.relays.find((r) => r.protocol === protocol);
  if (!relay) {
    throw new CliError(
      `this Postern has no relay for ${protocol}: reach it through an agent with --via host:port ` +
        `(or postern config set gateway.${protocol} host:port)`,
    );
  }
  const host = relay.host ?? new URL(await context.apiUrl()).hostname;
  if (!relay.tls) return { host, port: relay.port, tls: 'disable', caFile: null, sshHostKey: relay.sshHostKey };
  let caFile = profile.caFile ?? null;
  if (!caFile && gateway.relayCaPem) {
    const directory = configDir(context.env);
    await mkdir(directory, { recursive: true, mode: 0o700 });
    caFile = join(directory, `relay-ca-${name}.pem`);
    await writeFile(caFile, gateway.relayCaPem, { mode: 0o644 });
  }
  if (!caFile) {
    throw new CliError(
      'the relay uses TLS but no CA is known to verify it: postern config set caFile /path/to/ca.pem ' +
        '(or ask your administrator to set POSTERN_RELAY_TLS_CA_FILE)',
    );
  }
  return { host, port: relay.port, tls: 'verify-full', caFile };
}
