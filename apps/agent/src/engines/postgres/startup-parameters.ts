import { SessionEnd, SqlStates } from './session-end.js';

/** What the client asked for in its StartupMessage, validated. */
export interface ClientStartup {
  /** The Postern user name (PostgreSQL `user`). */
  user: string;
  /** The Postern connection name (PostgreSQL `database`, defaulting to the user like PostgreSQL). */
  connectionName: string;
  /** Parameters that may be forwarded to the target, with the client's spelling. */
  forwarded: Map<string, string>;
  /** Parameters we dropped (for a notice and the log). */
  dropped: string[];
}

/**
 * Session settings a client may pass on to the target: the ones libpq and drivers send to set
 * up formatting. Each is a plain per-session setting the user could equally `SET` after
 * connecting, so forwarding grants nothing. `search_path` is included for the same reason:
 * guardrails must resolve unqualified names whatever the path, since `SET search_path` exists.
 * Everything else is dropped, notably `options` (it carries `-c name=value` for any setting,
 * including ones a plain `SET` could not change at that level, e.g. `session_replication_role`
 * for a superuser target role) and anything unknown.
 */
const FORWARDED_PARAMETERS = new Set([
  'application_name',
  'client_encoding',
  'datestyle',
  'timezone',
  'extra_float_digits',
  'intervalstyle',
  'search_path',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
]);

/** Values PostgreSQL's parse_bool accepts as false for `replication`. */
const FALSE_VALUES = new Set(['false', 'off', 'no', '0', 'f', 'n']);

/** Validates the client's startup parameters; throws SessionEnd for what PostgreSQL would refuse. */
export function readClientStartup(parameters: ReadonlyMap<string, string>): ClientStartup {
  const user = parameters.get('user') ?? '';
  if (user === '') {
    throw new SessionEnd('protocol_error', 'no user name in the startup packet', {
      code: SqlStates.InvalidAuthorizationSpecification,
      message: 'no PostgreSQL user name specified in startup packet',
    });
  }
  const replication = parameters.get('replication');
  if (replication !== undefined && !FALSE_VALUES.has(replication.toLowerCase())) {
    // Physical or logical replication streams bypass statement-level policy entirely.
    throw new SessionEnd('auth_failed', 'replication connection refused', {
      code: SqlStates.InsufficientPrivilege,
      message: 'replication connections are not allowed through Postern',
    });
  }
  const forwarded = new Map<string, string>();
  const dropped: string[] = [];
  for (const [name, value] of parameters) {
    if (name === 'user' || name === 'database' || name === 'replication' || name.startsWith('_pq_.')) continue;
    if (FORWARDED_PARAMETERS.has(name.toLowerCase())) forwarded.set(name, value);
    else dropped.push(name);
  }
  const database = parameters.get('database') ?? '';
  return { user, connectionName: database === '' ? user : database, forwarded, dropped };
}

/** Protocol options (`_pq_.*`) the client asked for; we support none, as NegotiateProtocolVersion says. */
export function protocolOptions(parameters: ReadonlyMap<string, string>): string[] {
  return [...parameters.keys()].filter((name) => name.startsWith('_pq_.'));
}
