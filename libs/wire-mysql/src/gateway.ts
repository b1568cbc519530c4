// What Postern's MySQL endpoints say to a client before it is logged in — the agent engine's
// local ingress and the control plane's relay front door greet alike, so one copy lives here:
// the capabilities offered, the version shown, the greeting itself and the server error numbers
// both answer with.
import { randomBytes } from 'node:crypto';
import { AuthPlugin, Capability, Charset, ServerStatus } from './constants.js';
import type { HandshakeV10 } from './handshake.js';

/**
 * What a Postern endpoint offers a client. Only what the agent's engine follows: no COMPRESS, no
 * LOCAL_FILES (the agent never serves a file to the target), no QUERY_ATTRIBUTES (it changes
 * COM_QUERY's layout), no OPTIONAL_RESULTSET_METADATA and no MariaDB extended capabilities
 * (CLIENT_MYSQL is set, so a MariaDB client asks for no CACHE_METADATA: masking needs every
 * result's column definitions), no IGNORE_SPACE (it changes how the server reads names the rules
 * match). SSL is added by an endpoint that has a certificate.
 *
 * The relay's front door greets with exactly these, so the capabilities a relayed client settles
 * on are the ones the agent's engine then assumes for the session.
 */
export const GATEWAY_CAPABILITIES =
  (Capability.LONG_PASSWORD |
    Capability.FOUND_ROWS |
    Capability.LONG_FLAG |
    Capability.CONNECT_WITH_DB |
    Capability.PROTOCOL_41 |
    Capability.INTERACTIVE |
    Capability.TRANSACTIONS |
    Capability.SECURE_CONNECTION |
    Capability.MULTI_STATEMENTS |
    Capability.MULTI_RESULTS |
    Capability.PS_MULTI_RESULTS |
    Capability.PLUGIN_AUTH |
    Capability.CONNECT_ATTRS |
    Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA |
    Capability.SESSION_TRACK |
    Capability.DEPRECATE_EOF) >>>
  0;

/** Capabilities a client must have: Postern reads only the 4.1 protocol with plugin auth. */
export const GATEWAY_REQUIRED_CAPABILITIES =
  (Capability.PROTOCOL_41 | Capability.SECURE_CONNECTION | Capability.PLUGIN_AUTH) >>> 0;

/** The version Postern greets with: a MySQL-compatible number that names the gateway. */
export const GATEWAY_SERVER_VERSION = '8.0.35-postern';

/**
 * Postern's HandshakeV10: `capabilityFlags` (GATEWAY_CAPABILITIES, with SSL when the endpoint has
 * a certificate), a fresh nonce, mysql_native_password as the default plugin (the endpoint then
 * switches the client to mysql_clear_password: it needs the credential itself, never a scramble).
 */
export function gatewayGreeting(capabilityFlags: number, connectionId: number): HandshakeV10 {
  return {
    serverVersion: GATEWAY_SERVER_VERSION,
    connectionId,
    // Clients expect a nonce even when nobody checks a scramble; no NUL inside, the data ends with one.
    authPluginData: Buffer.concat([printableNonce(20), Buffer.of(0)]),
    capabilityFlags: capabilityFlags >>> 0,
    mariaDbCapabilityFlags: 0,
    characterSet: Charset.UTF8MB4_GENERAL_CI,
    statusFlags: ServerStatus.AUTOCOMMIT,
    authPluginName: AuthPlugin.NATIVE_PASSWORD,
  };
}

function printableNonce(length: number): Buffer {
  const bytes = randomBytes(length);
  for (let i = 0; i < length; i++) bytes[i] = (bytes[i]! % 94) + 33;
  return bytes;
}

/** A MySQL server error: its number and SQLSTATE (what an ERR packet carries). */
export interface ServerErrorCode {
  errno: number;
  sqlState: string;
}

/** The server error numbers Postern answers with, as MySQL/MariaDB themselves use them. */
export const ServerError = {
  /** ER_CON_COUNT_ERROR */
  TooManyConnections: { errno: 1040, sqlState: '08004' },
  /** ER_HANDSHAKE_ERROR */
  BadHandshake: { errno: 1043, sqlState: '08S01' },
  /** ER_DBACCESS_DENIED_ERROR */
  DatabaseAccessDenied: { errno: 1044, sqlState: '42000' },
  /** ER_ACCESS_DENIED_ERROR */
  AccessDenied: { errno: 1045, sqlState: '28000' },
  /** ER_UNKNOWN_COM_ERROR */
  UnknownCommand: { errno: 1047, sqlState: '08S01' },
  /** ER_NO_DB_ERROR: a client that names no database names no Postern connection. */
  NoDatabaseSelected: { errno: 1046, sqlState: '3D000' },
  /** ER_BAD_DB_ERROR */
  UnknownDatabase: { errno: 1049, sqlState: '42000' },
  /** ER_SERVER_SHUTDOWN */
  ServerShutdown: { errno: 1053, sqlState: '08S01' },
  /** ER_PARSE_ERROR */
  ParseError: { errno: 1064, sqlState: '42000' },
  /** ER_OUT_OF_RESOURCES */
  OutOfMemory: { errno: 1041, sqlState: 'HY000' },
  /** ER_TABLEACCESS_DENIED_ERROR: a statement refused by a rule. */
  StatementDenied: { errno: 1142, sqlState: '42000' },
  /** ER_MALFORMED_PACKET */
  MalformedPacket: { errno: 1835, sqlState: 'HY000' },
  /** ER_NET_PACKET_TOO_LARGE */
  PacketTooLarge: { errno: 1153, sqlState: '08S01' },
  /** ER_NET_READ_INTERRUPTED: a step did not finish in time. */
  Timeout: { errno: 1159, sqlState: '08S01' },
  /** ER_NEW_ABORTING_CONNECTION */
  AbortingConnection: { errno: 1184, sqlState: '08S01' },
  /** ER_SPECIFIC_ACCESS_DENIED_ERROR: a command Postern does not allow. */
  CommandDenied: { errno: 1227, sqlState: '42000' },
  /** ER_NOT_SUPPORTED_AUTH_MODE */
  AuthModeNotSupported: { errno: 1251, sqlState: '08004' },
  /** ER_CONNECTION_KILLED (MariaDB): revocation, shutdown. */
  ConnectionKilled: { errno: 1927, sqlState: '70100' },
  /** ER_INTERNAL_ERROR */
  Internal: { errno: 1815, sqlState: 'HY000' },
  /** ER_SECURE_TRANSPORT_REQUIRED (MySQL 5.7+) */
  SecureTransportRequired: { errno: 3159, sqlState: 'HY000' },
} as const satisfies Record<string, ServerErrorCode>;

/**
 * Which Postern connection a login names, and as whom. The database of the handshake response is
 * the connection's name. A client that connects without a database (`mysqldump`, `mariadb` with
 * no database, tools that `USE` after connecting) names it in the user name instead:
 * `<postern login>+<connection>`, split at the last `+` as the SSH engine does (a login name may
 * hold a `+`, as e-mail addresses do; connection names never do). When both are given, the
 * database names the connection, and the user name is taken whole unless it ends with
 * `+<that connection>`.
 */
export function nameConnection(
  username: string,
  database: string | null | undefined,
): { user: string; connection: string } | null {
  if (database !== undefined && database !== null && database !== '') {
    // `alice+shop` with database `shop` (a profile that sets both) is alice on shop.
    const user = username.endsWith(`+${database}`) ? username.slice(0, -database.length - 1) : username;
    return { user: user === '' ? username : user, connection: database };
  }
  const plus = username.lastIndexOf('+');
  if (plus <= 0 || plus === username.length - 1) return null;
  return { user: username.slice(0, plus), connection: username.slice(plus + 1) };
}
