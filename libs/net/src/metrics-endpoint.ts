import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';

/** What the endpoint logs (a pino logger fits). */
interface EndpointLogger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface MetricsEndpointOptions {
  host: string;
  port: number;
  /** Bearer token /metrics requires; null: no authentication (keep the port private). */
  token: string | null;
  /** The exposition, rendered per scrape (prom-client: `registry.metrics()`, `registry.contentType`). */
  render: () => Promise<{ contentType: string; body: string }>;
  /** Ready to take work (the agent: a usable policy); absent: no /readyz on this port. */
  ready?: () => boolean | Promise<boolean>;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * An observability port (the agent's and the control plane's): `/metrics` (Prometheus text, optionally behind a bearer token,
 * compared in constant time on digests), `/healthz` (the process answers) and, when given a
 * readiness check, `/readyz`. Nothing else; any other path or method is 404/405.
 */
export function startMetricsEndpoint(options: MetricsEndpointOptions, logger: EndpointLogger): Promise<Server> {
  const expected = options.token === null ? null : digest(options.token);
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz' && options.ready) {
      Promise.resolve()
        .then(options.ready)
        .catch(() => false)
        .then((ready) =>
          response
            .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
            .end(ready ? 'ready\n' : 'not ready\n'),
        );
      return;
    }
    if (path !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    if (expected !== null) {
      const header = request.headers.authorization ?? '';
      const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
      if (!timingSafeEqual(digest(presented), expected)) {
        response.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
        return;
      }
    }
    options.render().then(
      ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(body),
      (error: unknown) => {
        logger.error({ err: error }, 'metrics collection failed');
        response.writeHead(500).end();
      },
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const address = server.address();
      logger.info(
        { port: typeof address === 'object' && address ? address.port : options.port, auth: expected !== null },
        'metrics listening',
      );
      resolve(server);
    });
  });
}
