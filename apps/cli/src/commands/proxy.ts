import { readFile } from 'node:fs/promises';
import { createServer, connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import {
  BackendCode,
  BackendParser,
  decodeAuthentication,
  decodeStartupMessage,
  errorResponse,
  frontend,
  FrontendParser,
  type Frame,
} from '@postern/wire-postgres';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { localTime, parseDuration } from '../format.js';
import { endpointFor, type Endpoint } from '../gateway.js';
import type { Minted } from '../native-clients.js';
import { usable } from '../resolve.js';

const MINT =
  'mutation($c: ID!, $ttl: Int) { mintMyConnectionCredential(connectionId: $c, ttlSeconds: $ttl) ' +
  '{ password database loginName credential { id expiresAt } } }';
/** A credential this close to its end is replaced before the next client connects. */
const RENEW_BEFORE_MS = 2 * 60_000;

/**
 * `postern proxy <name> --port N`: a PostgreSQL listener on 127.0.0.1 for tools that cannot present
 * a credential (GUI clients, ORMs configured without secrets). Each client connects with any user
 * name and no password; the proxy logs in to the gateway with a short-lived credential it mints
 * (and renews) and then passes bytes through. Only processes of the user running the proxy may use
 * it: each connection's peer is looked up in the kernel's socket table (/proc/net/tcp) and refused
 * unless its owner is this user — other users of a shared host cannot borrow the session.
 */
export async function proxy(
  context: CommandContext,
  name: string,
  options: { port?: string; via?: string; ttl?: string },
) {
  const port = options.port === undefined ? 0 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError('--port must be 0..65535', EXIT.usage);
  const ttlSeconds = options.ttl === undefined ? 3600 : parseDuration(options.ttl);
  if (ttlSeconds === null) throw new CliError('--ttl must be a duration such as 30m or 2h', EXIT.usage);
  if (process.platform !== 'linux' || typeof process.getuid !== 'function') {
    throw new CliError('postern proxy checks which user owns each local client, which it can do on Linux only');
  }
  const connection = await usable(context, name);
  if (connection.protocol !== 'postgres')
    throw new CliError(`postern proxy speaks PostgreSQL; ${name} is ${connection.protocol}`);
  const endpoint = await endpointFor(context, connection.protocol, options.via);
  const api = await context.api();
  let minted: Minted | null = null;
  const credential = async (): Promise<Minted> => {
    if (minted && Date.parse(minted.credential.expiresAt) - Date.now() > RENEW_BEFORE_MS) return minted;
    minted = (
      await api.request<{ mintMyConnectionCredential: Minted }>(
        MINT,
        { c: connection.connectionId, ttl: ttlSeconds },
        context.signal,
      )
    ).mintMyConnectionCredential;
    return minted;
  };
  await credential();
  const uid = process.getuid();
  const server = createServer((client) => {
    client.on('error', () => undefined);
    void (async () => {
      // Looked up before a byte is answered; told after the startup, where the client can read it.
      const owned = await ownedBy(client, uid);
      const startup = await readStartup(client);
      if (!owned) {
        context.printer.warn(`refused a connection from port ${client.remotePort}: not a process of this user`);
        client.end(
          errorResponse({
            severity: 'FATAL',
            code: '28000',
            message: 'postern proxy: not a process of the user running it',
          }),
        );
        return;
      }
      await serveClient(client, startup, endpoint, await credential());
    })().catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!client.destroyed)
        client.end(errorResponse({ severity: 'FATAL', code: '08006', message: `postern proxy: ${message}` }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new CliError(error.code === 'EADDRINUSE' ? `port ${port} is in use` : error.message)),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  context.printer.line(`Proxy for ${name} listening on 127.0.0.1:${bound}`);
  context.printer.note(
    `Connect with: psql "host=127.0.0.1 port=${bound} dbname=${name}" (no password; credential renewed until you stop, ` +
      `current one valid until ${localTime(minted!.credential.expiresAt)}). Ctrl-C to stop.`,
  );
  await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }));
  server.close();
  return 0;
}

/** Whether the peer of `socket` (on 127.0.0.1) belongs to `uid`, from /proc/net/tcp. */
async function ownedBy(socket: Socket, uid: number): Promise<boolean> {
  const peerPort = socket.remotePort;
  const localPort = socket.localPort;
  if (peerPort === undefined || localPort === undefined) return false;
  const table = await readFile('/proc/net/tcp', 'utf8');
  const hexPort = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    // The client's own socket: local = its port, remote = ours.
    if (fields[1]!.endsWith(`:${hexPort(peerPort)}`) && fields[2]!.endsWith(`:${hexPort(localPort)}`)) {
      return Number(fields[7]) === uid;
    }
  }
  return false;
}

/** Logs in upstream with the client's startup parameters (but user and database), then pipes. */
async function serveClient(
  client: Socket,
  startup: Map<string, string>,
  endpoint: Endpoint,
  minted: Minted,
): Promise<void> {
  const parameters = new Map(startup);
  parameters.delete('user');
  parameters.delete('database');
  const upstream = await openUpstream(endpoint);
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  upstream.write(
    frontend.startupMessage({ user: minted.loginName, database: minted.database, ...Object.fromEntries(parameters) }),
  );
  const rest = await authenticate(upstream, minted.password);
  client.write(rest);
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}

/** Reads the client's startup message, declining TLS (the connection is local). */
function readStartup(client: Socket): Promise<Map<string, string>> {
  const parser = new FrontendParser();
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      try {
        parser.parse(chunk, (frame: Frame) => {
          if (frame.kind === 'ssl-request' || frame.kind === 'gssenc-request') {
            client.write('N'); // a loopback connection: the proxy's upstream is what is encrypted
            return;
          }
          if (frame.kind !== 'startup') throw new Error('expected a startup message');
          client.off('data', onData);
          resolve(decodeStartupMessage(frame).parameters);
        });
      } catch (error) {
        client.off('data', onData);
        reject(error);
      }
    };
    client.on('data', onData);
    client.once('close', () => reject(new Error('client left during startup')));
  });
}

async function openUpstream(endpoint: Endpoint): Promise<Duplex> {
  const socket = connectTcp({ host: endpoint.host, port: endpoint.port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (error) =>
      reject(new Error(`cannot reach ${endpoint.host}:${endpoint.port}: ${error.message}`)),
    );
  });
  if (endpoint.tls === 'disable') return socket;
  socket.write(frontend.sslRequest());
  const answer = await new Promise<string>((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.subarray(0, 1).toString()));
    socket.once('error', reject);
  });
  if (answer !== 'S') {
    if (endpoint.tls === 'prefer') return socket;
    throw new Error(`${endpoint.host}:${endpoint.port} does not offer TLS`);
  }
  const secure = connectTls({
    socket,
    servername: endpoint.host,
    ...(endpoint.caFile ? { ca: readFileSync(endpoint.caFile) } : {}),
    rejectUnauthorized: endpoint.tls === 'verify-full',
  });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', (error) => reject(new Error(`TLS to ${endpoint.host} failed: ${error.message}`)));
  });
  return secure;
}

/**
 * Answers the gateway's password request with the credential. Resolves with what the client is to
 * receive: from AuthenticationOk to the first ReadyForQuery (the server is then idle, so nothing is
 * left half-read and the rest can be piped), or the gateway's ErrorResponse as it is.
 */
function authenticate(upstream: Duplex, password: string): Promise<Buffer> {
  const parser = new BackendParser();
  const forward: Buffer[] = [];
  let authenticated = false;
  return new Promise((resolve, reject) => {
    const finish = (error?: unknown) => {
      upstream.off('data', onData);
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(Buffer.concat(forward));
    };
    const onData = (chunk: Buffer) => {
      let finished = false;
      try {
        parser.parse(chunk, (frame: Frame) => {
          if (frame.kind !== 'message') throw new Error('unexpected bytes from the gateway');
          if (authenticated || frame.code === BackendCode.ErrorResponse) {
            forward.push(Buffer.from(frame.bytes));
            if (frame.code === BackendCode.ReadyForQuery || frame.code === BackendCode.ErrorResponse) finished = true;
            return;
          }
          if (frame.code !== BackendCode.Authentication) throw new Error('the gateway did not ask for a password');
          const request = decodeAuthentication(frame);
          if (request.type === 'AuthenticationCleartextPassword') {
            upstream.write(frontend.passwordMessage(password));
          } else if (request.type === 'AuthenticationOk') {
            authenticated = true;
            forward.push(Buffer.from(frame.bytes));
          } else {
            throw new Error(`the gateway asked for ${request.type}, which the proxy does not answer`);
          }
        });
      } catch (error) {
        finish(error);
        return;
      }
      if (finished) finish();
    };
    upstream.on('data', onData);
    upstream.once('close', () => finish(new Error('the gateway closed the connection during login')));
  });
}
