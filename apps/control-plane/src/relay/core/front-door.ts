import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** A client's data connection to its agent, opened on this replica, and whose backend it reaches. */
export interface LocalRoute {
  data: Duplex;
  agentId: string;
  connectionId: string;
}

/** The internal link to the replica holding the agent's stream, ready to carry raw bytes. */
export interface ForwardedRoute {
  link: Duplex;
  /** The agent the other replica opened the data connection to (the SSH door verifies its host key). */
  agentId: string;
}

/** Why the relay will not serve a client; each front door says it in its protocol's words. */
export type RefusalKind =
  /** Too many connections, sessions or failed logins from this host. */
  | 'busy'
  /** Bad or expired credential. */
  | 'auth_failed'
  /** Valid credential, but not for this user or this connection. */
  | 'no_access'
  /** No agent serving the connection can be reached. */
  | 'unavailable';

export interface RelayRefusal {
  kind: RefusalKind;
  message: string;
  hint?: string;
}

/** What a client presented, as its front door learnt it from the first bytes. */
export interface RelayLogin {
  /** The Postern connection name (PostgreSQL: the `database` startup parameter). */
  connection: string;
  user: string;
  /** The connection credential or data-plane token. */
  password: string;
  /**
   * The client named no user (an HTTP bearer token): the credential's own login name is taken,
   * as the agent's HTTP engine does. Default false: the user must match.
   */
  userFromCredential?: boolean;
  /**
   * SSH: instead of the password, a public key the client proved it holds (the door verified the
   * signature); the login check is then that the key is registered to the user.
   */
  publicKey?: Buffer;
}

/**
 * The protocol-neutral relay core, as a front door sees it: login check, then a data connection
 * to the agent serving the connection — here, or through the replica holding its stream.
 */
export interface RelayCore {
  route(
    protocol: string,
    login: RelayLogin,
    clientAddress: string,
  ): Promise<LocalRoute | ForwardedRoute | RelayRefusal>;
}

/**
 * A relay front door: everything the control plane's relay knows about one protocol. The core
 * owns the listener (limits per client host), the login check, the choice of agent, cross-replica
 * forwarding and the data connection; the door owns the bytes until the connection name and the
 * login are known, then joins the client to the route and steps aside (the agent's engine is the
 * one place that parses the rest).
 *
 * How each protocol learns the connection name:
 * - **PostgreSQL** (client speaks first): SSLRequest → TLS, StartupMessage `database`, then a
 *   cleartext password request for the credential (`postgres/`).
 * - **MySQL** (server speaks first, `mysql/`): `accept` writes the HandshakeV10 greeting the
 *   agent's engine would (wire-mysql's GATEWAY_CAPABILITIES, TLS capability), reads the
 *   HandshakeResponse41 (`database` = connection name, `user`; the credential through
 *   mysql_clear_password after an AuthSwitchRequest), then routes; it logs in to the engine for the
 *   client (the engine's greeting swallowed, its OK or ERR renumbered into the client's exchange)
 *   and pipes. Its `adopt` only joins the link to the data connection: the forwarding replica's
 *   door speaks to the engine through the link itself.
 * - **SSH** (`ssh/`): encrypted end to end, so the door terminates SSH: its own host key, user
 *   name `<login>+<connection>`, the credential as password or keyboard-interactive answer; after
 *   routing it is an SSH client of the agent's engine with the same login (the agent checks it
 *   again and applies the rules) and carries channels across. `adopt` only pipes: the replica
 *   that terminated the client's SSH speaks SSH to the agent through the link.
 * - **HTTP** (`http/`): the first request's path prefix (`/c/<connection>/…`) names the
 *   connection; `Authorization` (Bearer, or Basic user:credential) is the credential. The request
 *   head already read is replayed first on the data connection; the agent's engine parses and
 *   authenticates every request again. Kubernetes connections come through the same door with the
 *   prefix `/k8s/<connection>/…` (routed to the agent's Kubernetes engine, `alsoServes`).
 *
 * A new door is a folder `relay/<protocol>/` with its class, and one line in `front-doors.ts`;
 * operators open it by adding its protocol to POSTERN_RELAY_PROTOCOLS.
 */
export interface FrontDoor {
  /** The engine protocol name the agent serves it with (`postgres`, `mysql`, …). */
  readonly protocol: string;
  /**
   * Other engine protocols this door routes to (the HTTP door: `kubernetes`): clients of those
   * are told this door's address, and a replica adopts their forwarded clients with it.
   */
  readonly alsoServes?: readonly string[];
  /**
   * The port its listener binds when POSTERN_RELAY_<PROTOCOL>_PORT does not say (the door
   * listens when its protocol is in POSTERN_RELAY_PROTOCOLS).
   */
  readonly defaultPort: number;
  /** The protocol brings its own encryption (SSH): the relay's TLS certificate does not apply. */
  readonly ownEncryption?: boolean;
  /** A new client on its listener (within the per-host limit). */
  accept(socket: Socket, clientAddress: string): void;
  /** Over the per-host connection limit: say so in the protocol if it can, then close. */
  refuseBusy(socket: Socket, host: string): void;
  /**
   * A client forwarded by another replica, whose route this replica opened: its bytes arrive raw
   * from the first one the other replica read (that replica's door already checked the login;
   * what it replays first is the door's business: PostgreSQL's startup and password, MySQL's
   * login to the engine).
   */
  adopt(client: Duplex, clientAddress: string, route: LocalRoute): void;
  /**
   * An out-of-band request forwarded by another replica for an agent this replica holds
   * (PostgreSQL: a CancelRequest). Optional.
   */
  signal?(route: { agentId: string; connectionId: string }, packet: Buffer, clientAddress: string): Promise<void>;
  /** The public host key clients pin, for a door that has one (SSH). Optional. */
  publicHostKey?(): { publicKey: string; fingerprint: string } | undefined;
}

/** The Nest token under which the registered front doors are injected. */
export const FRONT_DOORS = Symbol('FRONT_DOORS');
