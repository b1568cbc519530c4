import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import ssh2 from 'ssh2';
import { DataPlaneLogins } from '../../access/data-plane-logins.js';
import { AgentsService } from '../../agents/agents.service.js';
import { ConnectionsService } from '../../connections/connections.service.js';
import { sshFingerprint } from '../../agents/host-keys.js';
import { CONFIG, type ControlPlaneConfig } from '../../platform/config/config.js';
import { LOGGER } from '../../platform/infra/logging/nest-logger.js';
import type { FrontDoor, LocalRoute, RelayRefusal } from '../core/front-door.js';
import { RelayRouter } from '../core/relay-router.js';
import { loadRelayHostKey, type RelayHostKey } from './relay-host-key.js';
import type { SshLoginName } from './ssh-login.js';
import { RELAY_CIPHERS, SshRelaySession, type SshRelayHost, type SshRelaySecret } from './ssh-relay-session.js';

export const SSH = 'ssh';
/** How long the agent's engine has to finish the key exchange and accept the login. */
const AGENT_LOGIN_TIMEOUT_MS = 20_000;

/**
 * The SSH front door of the relay (POSTERN_RELAY_SSH_*). SSH is encrypted end to end, so the door
 * terminates it (ssh-relay-session.ts) with the relay's own host key
 * (POSTERN_RELAY_SSH_HOST_KEY_FILE), learns `<login>+<connection>` and the credential from
 * user-auth, routes through the relay core, then logs in to the agent's SSH engine over the data
 * connection as an SSH client with the same user name and credential — verifying the host key the
 * agent published in its hello, so a data connection answered by anything else is refused.
 */
@Injectable()
export class SshFrontDoor implements FrontDoor, SshRelayHost {
  readonly protocol = SSH;
  readonly defaultPort = 2222;
  readonly ownEncryption = true;
  readonly authTimeoutMs: number;
  /** Null while the door is off (no key is read or generated then). */
  private readonly key: RelayHostKey | null;

  constructor(
    @Inject(CONFIG) config: ControlPlaneConfig,
    @Inject(LOGGER) readonly logger: Logger,
    private readonly router: RelayRouter,
    private readonly agents: AgentsService,
    private readonly connections: ConnectionsService,
    private readonly logins: DataPlaneLogins,
  ) {
    this.authTimeoutMs = config.relay.sshAuthTimeoutMs;
    // Loaded only when the door listens: a bad key file then stops the boot with the variable's name.
    this.key = config.relay.doors[SSH] ? loadRelayHostKey(config.relay.sshHostKeyFile) : null;
    if (this.key) {
      const { fingerprint, publicKey, ephemeral } = this.key;
      if (ephemeral) logger.warn({ fingerprint }, 'ssh relay host key generated for this process (development only)');
      logger.info({ fingerprint, publicKey }, 'ssh relay host key');
    }
  }

  get hostKey(): RelayHostKey {
    if (!this.key) throw new Error('the ssh relay door is off');
    return this.key;
  }

  accept(socket: Socket, clientAddress: string): void {
    socket.setNoDelay(true);
    new SshRelaySession(socket, clientAddress, this);
  }

  /** Lines before the identification string are allowed (RFC 4253 §4.2): OpenSSH prints this one. */
  refuseBusy(socket: Socket, host: string): void {
    socket.end(`too many connections from ${host}\r\n`);
  }

  /**
   * A client forwarded by another replica: that replica terminated the client's SSH and speaks SSH
   * to the agent's engine itself through the link, so here the link and the data connection are
   * only piped (backpressure both ways).
   */
  adopt(client: Duplex, _clientAddress: string, route: LocalRoute): void {
    const { data } = route;
    client.on('error', () => data.destroy());
    data.on('error', () => client.destroy());
    client.on('close', () => data.destroy());
    data.on('close', () => client.destroy());
    client.pipe(data).pipe(client);
  }

  /** The public half of the relay's host key, for GraphQL (`gateway.relays[].sshHostKey`). */
  publicHostKey(): { publicKey: string; fingerprint: string } | undefined {
    return this.key ? { publicKey: this.key.publicKey, fingerprint: this.key.fingerprint } : undefined;
  }

  async connectAgent(
    login: SshLoginName,
    secret: SshRelaySecret,
    clientAddress: string,
  ): Promise<ssh2.Client | RelayRefusal> {
    const routed = await this.router.route(
      SSH,
      'proof' in secret
        ? { connection: login.connection, user: login.login, password: '', publicKey: secret.publicKey }
        : { connection: login.connection, user: login.login, password: secret.password },
      clientAddress,
    );
    if ('kind' in routed) return routed;
    const data = 'data' in routed ? routed.data : routed.link;
    const agent = await this.agents.getAgent(routed.agentId).catch(() => null);
    const pinned = new Set((agent?.hostKeys ?? []).filter((key) => key.protocol === SSH).map((key) => key.fingerprint));
    if (pinned.size === 0) {
      data.destroy();
      this.logger.warn({ agentId: routed.agentId }, 'ssh relay: the agent has published no SSH host key');
      return { kind: 'unavailable', message: 'the agent serving this connection has published no SSH host key' };
    }
    // A key login reaches the agent as the proof the client signed, which the agent verifies itself.
    const password = 'proof' in secret ? secret.proof : secret.password;
    return this.login(data, login, password, pinned, routed.agentId);
  }

  /** A key query (no signature yet): whether the key is registered to the user, with access. */
  async knowsKey(login: SshLoginName, publicKey: Buffer): Promise<boolean> {
    const found = await this.connections.findByName(login.connection).catch(() => null);
    if (!found || found.protocol !== 'SSH') return false;
    const verdict = await this.logins.checkSshKey(found.id, login.login, publicKey).catch(() => null);
    return verdict?.ok === true;
  }

  /** The relay as an SSH client of the agent's engine, with the client's own login. */
  private login(
    data: Duplex,
    login: SshLoginName,
    password: string,
    pinned: ReadonlySet<string>,
    agentId: string,
  ): Promise<ssh2.Client | RelayRefusal> {
    return new Promise((resolve) => {
      const client = new ssh2.Client();
      let hostKeyRefused = false;
      let settled = false;
      const settle = (result: ssh2.Client | RelayRefusal): void => {
        if (settled) return;
        settled = true;
        if ('kind' in result) {
          client.end();
          data.destroy();
        }
        resolve(result);
      };
      client.on('ready', () => settle(client));
      client.on('error', (error: Error & { level?: string }) => {
        if (hostKeyRefused) {
          this.logger.warn({ agentId }, "ssh relay: the agent's host key is not the one it published; refused");
          return settle({ kind: 'unavailable', message: "the agent's SSH host key does not match its published key" });
        }
        if (error.level === 'client-authentication') {
          return settle({ kind: 'auth_failed', message: 'the agent refused the login' });
        }
        this.logger.warn({ err: error, agentId }, 'ssh relay: could not log in to the agent');
        settle({ kind: 'unavailable', message: 'the agent could not be reached over SSH' });
      });
      client.on('close', () => settle({ kind: 'unavailable', message: 'the agent closed the connection' }));
      client.connect({
        sock: data as unknown as NonNullable<ssh2.ConnectConfig['sock']>,
        username: `${login.login}+${login.connection}`,
        password,
        tryKeyboard: false,
        readyTimeout: AGENT_LOGIN_TIMEOUT_MS,
        algorithms: { cipher: RELAY_CIPHERS },
        hostVerifier: (key: Buffer) => {
          const ok = pinned.has(sshFingerprint(key));
          if (!ok) hostKeyRefused = true;
          return ok;
        },
      });
    });
  }
}
