import { readFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { encodeDataHello, splitAddress } from '@postern/net';
import type { OpenTunnel__Output } from '@postern/proto';
import type { AgentConfig } from '../config.js';

/**
 * Opens the relay data connection the control plane asked for in OpenTunnel: TLS to the data
 * address of the replica that asked (verified like the gRPC connection: same CA, same server
 * name), whose first bytes are the opening with the agent credential and the one-time ticket.
 * The socket is returned at once, a raw byte pipe to the client: a refused opening is simply
 * closed by the control plane.
 */
export function dialRelayData(
  controlPlane: AgentConfig['controlPlane'],
  credential: string,
  request: OpenTunnel__Output,
): Socket {
  const { host: grpcHost } = splitAddress(controlPlane.address);
  const target = splitAddress(request.dataAddress);
  if (!Number.isInteger(target.port) || target.port <= 0 || target.port > 65_535) {
    throw new Error(`invalid relay data address "${request.dataAddress}"`);
  }
  const host = target.host || grpcHost;
  const tls = controlPlane.tls;
  const socket: Socket = tls
    ? connectTls({
        host,
        port: target.port,
        servername: tls.serverName ?? grpcHost,
        ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
        minVersion: 'TLSv1.3',
      })
    : connectTcp({ host, port: target.port });
  socket.setNoDelay(true);
  socket.write(encodeDataHello({ tunnelId: request.tunnelId, ticket: request.ticket, credential }));
  return socket;
}
