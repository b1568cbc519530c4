import type { PolicySnapshot__Output } from '@postern/proto';

/**
 * Whether this agent may serve a relayed session the control plane asks for: it must have an
 * engine for the protocol, and a connection the pushed policy has must be of that very protocol.
 * Fail closed: a control plane (or a connection created for a protocol whose engine this agent
 * does not have yet) never gets bytes handed to an engine of another protocol. A connection the
 * policy does not have (yet, or any more) is left to the engine, which refuses it in its own
 * protocol once it reads the name the client asks for. Null when the tunnel may open; otherwise
 * why not, for the log.
 */
export function tunnelRefusal(
  snapshot: PolicySnapshot__Output | null,
  request: { connectionId: string; protocol: string },
  engineProtocols: readonly string[],
): string | null {
  if (!engineProtocols.includes(request.protocol)) return `no engine for protocol "${request.protocol}"`;
  const connection = snapshot?.connections.find((c) => c.id === request.connectionId);
  if (connection && connection.protocol !== request.protocol) {
    return `connection is of protocol "${connection.protocol}", not "${request.protocol}"`;
  }
  return null;
}

/** The pushed connections this agent has no engine for (reported, never served). */
export function unservableConnections(
  snapshot: PolicySnapshot__Output | null,
  engineProtocols: readonly string[],
): Array<{ id: string; name: string; protocol: string }> {
  return (snapshot?.connections ?? [])
    .filter((c) => !engineProtocols.includes(c.protocol))
    .map(({ id, name, protocol }) => ({ id, name, protocol }));
}
