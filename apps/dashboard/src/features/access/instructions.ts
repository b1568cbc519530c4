/** Where the gateway's relay door for a protocol listens (the `gateway.relays` entry). */
export interface RelayDoor {
  protocol: string;
  host?: string | null;
  port: number;
  tls: boolean;
}

export interface MintedCredential {
  /** The connection's name (the database name clients give). */
  database: string;
  loginName: string;
  password: string;
}

/** Single-quotes a value for a POSIX shell. */
function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command a person pastes to reach a connection with a fresh credential, in the client of its
 * protocol, through the gateway's relay door when there is one (else placeholders for an agent's
 * own listener). `fallbackHost` is the dashboard's own host name, used when a door names none.
 */
export function connectionInstructions(
  protocol: string,
  relays: readonly RelayDoor[],
  minted: MintedCredential,
  fallbackHost: string,
): string {
  const kind = protocol.toLowerCase();
  const door = relays.find((r) => r.protocol === kind);
  const host = door ? (door.host ?? fallbackHost) : '<agent host>';
  const port = door ? String(door.port) : '<port>';
  const password = quote(minted.password);
  switch (kind) {
    case 'mysql':
      // TCP always: with host localhost a MySQL client would use the local server's socket instead.
      return `MYSQL_PWD=${password} mariadb --protocol=TCP -h ${host} -P ${port} -u ${quote(minted.loginName)}${door?.tls ? ' --ssl' : ''} ${minted.database}`;
    case 'ssh':
      // The SSH doors take the connection in the login name; the credential is the password ssh asks for.
      return `ssh -p ${port} -l ${quote(`${minted.loginName}+${minted.database}`)} ${host}    # password: ${minted.password}`;
    case 'kubernetes':
      return `kubectl --server=https://${host}:${port}/k8s/${minted.database} --token=${password} get pods    # or: postern kubeconfig ${minted.database}`;
    case 'http':
      return `curl -H ${quote(`Authorization: Bearer ${minted.password}`)} ${door?.tls === false ? 'http' : 'https'}://${host}:${port}/c/${minted.database}/`;
    default:
      return `PGPASSWORD=${password} psql "host=${host} port=${port} dbname=${minted.database} user=${minted.loginName}${door?.tls ? ' sslmode=require' : ''}"`;
  }
}
