/*
 * One client connection of the HTTP engine. A connection is one Postern session: it is bound to
 * the connection and the principal of its first authenticated request; every later request on it
 * must name the same connection and carry the same credential (compared in constant time), or it
 * is refused and the connection closed. Each request then goes through the stages in call.ts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { routeHttpRequest } from '@postern/policy-http';
import type { Dispatcher } from 'undici';
import { auditPolicySummary, describeError } from '../common/index.js';
import {
  createUpstreamPool,
  sendProblem,
  serveHttp,
  takeCredential,
  writeRawProblem,
  type PresentedCredential,
  type Problem,
} from '../common/http/index.js';
import type { Principal, ResolvedConnection, SessionSummary } from '../engine.js';
import type { AssertionSigner } from './assertion.js';
import type { HeldRequests } from './approvals.js';
import { forwardCall, forwardUpgrade, type CallAbort } from './call.js';
import type { HttpContext } from './rules.js';
import { HttpSettingsError, readHttpSettings, type HttpConnectionSettings } from './settings.js';

export interface HttpSessionSettings {
  /** Gateway domain for Host routing (`<connection>.<domain>`); null: path prefixes only. */
  domain: string | null;
  /** Bytes of each request and response body kept in the recording. */
  recordBodyBytes: number;
  idleTimeoutMs: number;
  maxHeaderBytes: number;
  /** Bytes (both ways) an upgraded connection may carry; 0: no limit. */
  maxUpgradeBytes: number;
  /** Largest JSON value the masker keeps across chunks. */
  maxMaskedValueBytes: number;
  assertion: AssertionSigner | null;
  held: HeldRequests;
  pools: PoolCache;
}

/** What a bound session forwards with. */
export interface Bound {
  connection: ResolvedConnection;
  principal: Principal;
  settings: HttpConnectionSettings;
  pool: Dispatcher;
  /** The resolved upstream secrets: header values and the query parameter, never logged. */
  inject: { headers: Record<string, string>; query: [string, string] | null };
  credentialDigest: Buffer;
  /** Headers shown as `[redacted]` in recordings besides the usual secrets: injected ones, the credential header. */
  redactions: ReadonlySet<string>;
}

/** Upstream pools by target and pinned address, shared by the engine's sessions, bounded. */
export class PoolCache {
  private readonly pools = new Map<string, Dispatcher>();

  constructor(private readonly max = 64) {}

  get(key: string, create: () => Dispatcher): Dispatcher {
    let pool = this.pools.get(key);
    if (pool === undefined) {
      if (this.pools.size >= this.max) {
        const [oldest, evicted] = this.pools.entries().next().value!;
        this.pools.delete(oldest);
        void evicted.close().catch(() => undefined);
      }
      pool = create();
      this.pools.set(key, pool);
    }
    return pool;
  }

  async closeAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((pool) => pool.destroy().catch(() => undefined)));
  }
}

const digest = (secret: string) => createHash('sha256').update(secret).digest();

export class HttpSession {
  private bound: Bound | null = null;
  private binding: Promise<Bound | Problem> | null = null;
  private calls = 0;
  private readonly summary: SessionSummary = {
    endReason: 'client_closed',
    bytesFromClient: 0,
    bytesFromTarget: 0,
    statementCount: 0,
  };

  constructor(
    private readonly client: Duplex,
    readonly context: HttpContext,
    readonly settings: HttpSessionSettings,
  ) {}

  async run(): Promise<void> {
    const { context } = this;
    const result = await serveHttp(
      this.client,
      {
        tls: context.clientTls,
        signal: context.signal,
        maxHeaderBytes: this.settings.maxHeaderBytes,
        idleTimeoutMs: this.settings.idleTimeoutMs,
        http2: true,
      },
      {
        request: (request, response) => void this.request(request, response),
        upgrade: (request, socket, head) => void this.upgrade(request, socket, head),
      },
    );
    this.summary.bytesFromClient = result.bytesFromClient;
    if (result.endedBy === 'aborted') {
      const reason: unknown = context.signal.reason;
      const kind = (reason as { kind?: string } | undefined)?.kind;
      this.summary.endReason =
        kind === 'agent_shutdown' ? 'agent_shutdown' : kind === 'recording_failed' ? 'error' : 'revoked';
    } else if (this.bound === null) {
      this.summary.endReason = 'auth_failed';
    }
    if (Object.keys(this.masked).length > 0) {
      auditPolicySummary(context, () => ({ maskedValues: this.masked, calls: this.calls }), context.logger);
    }
    context.closed(this.summary);
  }

  /** The calls in flight, aborted together when the session's signal fires (one listener for all). */
  private readonly inFlight = new Set<CallAbort>();
  private listening = false;

  /** Ties a call's abort to the session's signal until the returned function is called. */
  trackCall(call: CallAbort): () => void {
    const { signal } = this.context;
    if (signal.aborted) {
      call.abort(signal.reason);
      return () => undefined;
    }
    if (!this.listening) {
      this.listening = true;
      signal.addEventListener(
        'abort',
        () => {
          for (const inFlight of this.inFlight) inFlight.abort(signal.reason);
          this.inFlight.clear();
        },
        { once: true },
      );
    }
    this.inFlight.add(call);
    return () => this.inFlight.delete(call);
  }

  nextCallId(): number {
    this.summary.statementCount++;
    return ++this.calls;
  }

  private readonly masked: Record<string, number> = {};

  countMasked(counts: Record<string, number>): void {
    for (const [rule, n] of Object.entries(counts)) this.masked[rule] = (this.masked[rule] ?? 0) + n;
  }

  countFromTarget(bytes: number): void {
    this.summary.bytesFromTarget += bytes;
  }

  private async request(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const admitted = await this.admit(request);
      if ('status' in admitted) {
        if (admitted.status === 401)
          response.setHeader('www-authenticate', 'Bearer realm="postern", Basic realm="postern"');
        if (admitted.close) response.shouldKeepAlive = false;
        sendProblem(response, admitted.problem);
        if (admitted.close) {
          // HTTP/2: GOAWAY, then the connection closes once the streams on it are done.
          const h2 = (request as unknown as { stream?: { session?: { close(): void } } }).stream?.session;
          response.once('finish', () => (h2 ? h2.close() : this.client.end()));
        }
        return;
      }
      await forwardCall(this, admitted.bound, admitted.target, admitted.headers, request, response);
    } catch (error) {
      this.context.logger.error({ err: error }, 'http request failed');
      sendProblem(response, { status: 500, slug: 'internal', title: 'Internal error' });
    }
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      const admitted = await this.admit(request);
      if ('status' in admitted) {
        writeRawProblem(socket, admitted.problem);
        return;
      }
      await forwardUpgrade(this, admitted.bound, admitted.target, admitted.headers, request, socket, head);
    } catch (error) {
      this.context.logger.error({ err: error }, 'http upgrade failed');
      writeRawProblem(socket, { status: 500, slug: 'internal', title: 'Internal error' });
    }
  }

  /** Routes and authenticates a request; the caller's credential is taken out of `headers`. */
  private async admit(
    request: IncomingMessage,
  ): Promise<
    | { bound: Bound; target: string; headers: IncomingHttpHeaders }
    | { status: number; problem: Problem; close: boolean }
  > {
    const refuse = (problem: Problem, close = false) => ({ status: problem.status, problem, close });
    // HTTP/2 names the host in `:authority` (a `host` header, when sent as well, must agree).
    const authority = request.headers[':authority'] as string | undefined;
    if (authority !== undefined && request.headers.host !== undefined && request.headers.host !== authority) {
      return refuse(
        { status: 400, slug: 'bad-request', title: 'Bad request', detail: ':authority and Host differ' },
        true,
      );
    }
    const route = routeHttpRequest(authority ?? request.headers.host, request.url ?? '/', this.settings.domain);
    // A `/k8s/…` path is the Kubernetes engine's: not a connection this engine serves.
    if (route === null || route.protocol !== 'http') {
      return refuse({
        status: 404,
        slug: 'unknown-connection',
        title: 'No connection named',
        detail: this.settings.domain
          ? `name the connection as <connection>.${this.settings.domain} or with the path /c/<connection>/…`
          : 'name the connection with the path /c/<connection>/…',
      });
    }
    const connection = this.context.resolveConnection(route.connection, 'http');
    if (connection === null) {
      return refuse({
        status: 404,
        slug: 'unknown-connection',
        title: `No HTTP connection "${route.connection.slice(0, 64)}"`,
      });
    }
    let settings: HttpConnectionSettings;
    try {
      settings = readHttpSettings(connection);
    } catch (error) {
      if (!(error instanceof HttpSettingsError)) throw error;
      this.context.logger.error({ connection: connection.name, err: error }, 'http connection settings refused');
      return refuse({
        status: 502,
        slug: 'connection-misconfigured',
        title: 'The connection cannot be used',
        detail: error.message,
      });
    }
    const headers = { ...request.headers };
    const credential = takeCredential(headers, {
      header: settings.credentialHeader,
      cookie: settings.credentialCookie,
    });
    if (this.bound !== null || this.binding !== null) {
      const bound = this.bound ?? (await this.binding);
      if (bound === null || !bound || 'status' in bound) {
        return refuse({ status: 401, slug: 'unauthenticated', title: 'Authentication failed' }, true);
      }
      if (bound.connection.id !== connection.id) {
        return refuse(
          { status: 421, slug: 'other-connection', title: 'This connection is bound to another Postern connection' },
          true,
        );
      }
      if (credential === null || !timingSafeEqual(digest(credential.secret), bound.credentialDigest)) {
        return refuse({ status: 401, slug: 'unauthenticated', title: 'A different or missing credential' }, true);
      }
      return { bound, target: route.target, headers };
    }
    if (credential === null) {
      return refuse({
        status: 401,
        slug: 'unauthenticated',
        title: 'A Postern credential is required',
        detail: 'send a connection credential or an OIDC access token as Authorization: Bearer (or Basic)',
      });
    }
    this.binding = this.bind(connection, settings, credential);
    const bound = await this.binding;
    if ('status' in bound) {
      this.binding = null;
      return refuse(bound, bound.status !== 401);
    }
    this.bound = bound;
    return { bound, target: route.target, headers };
  }

  /** First request: authenticate, open the upstream, report the session. */
  private async bind(
    connection: ResolvedConnection,
    settings: HttpConnectionSettings,
    credential: PresentedCredential,
  ): Promise<Bound | Problem> {
    const { context } = this;
    let result = await context.authenticate(connection, credential.user, credential.secret);
    // A bearer token names no user: take the principal's own login name (no second failure is counted).
    if (!result.ok && result.reason === 'user_mismatch' && credential.user === '' && result.loginNames?.[0]) {
      result = await context.authenticate(connection, result.loginNames[0], credential.secret);
    }
    if (!result.ok) {
      const status =
        result.reason === 'rate_limited'
          ? 429
          : result.reason === 'no_access'
            ? 403
            : result.reason === 'policy_stale'
              ? 503
              : 401;
      return {
        status,
        slug: status === 401 ? 'unauthenticated' : result.reason.replace(/_/g, '-'),
        title: 'Authentication failed',
      };
    }
    try {
      const address = await context.dialTarget(
        settings.url.hostname.replace(/^\[|\]$/g, ''),
        Number(settings.url.port) || (settings.url.protocol === 'https:' ? 443 : 80),
      );
      const ca = connection.target.tls.caRef ? await context.resolveSecret(connection.target.tls.caRef) : null;
      const inject = await this.resolveInjection(connection, settings);
      const key = [
        connection.id,
        settings.url.origin,
        address,
        connection.target.tls.mode,
        connection.target.tls.caRef ?? '',
      ].join('|');
      const pool = this.settings.pools.get(key, () =>
        createUpstreamPool({ url: settings.url, address, tlsMode: connection.target.tls.mode, ca }),
      );
      context.opened(result.principal, connection);
      return {
        connection,
        principal: result.principal,
        settings,
        pool,
        inject,
        credentialDigest: digest(credential.secret),
        redactions: new Set([
          ...Object.keys(inject.headers),
          ...(settings.credentialHeader ? [settings.credentialHeader] : []),
        ]),
      };
    } catch (error) {
      context.logger.warn({ connection: connection.name, err: describeError(error) }, 'http upstream refused');
      this.summary.endReason = 'target_unreachable';
      return {
        status: 502,
        slug: 'target-refused',
        title: 'The connection’s target cannot be reached from this agent',
      };
    }
  }

  private async resolveInjection(
    connection: ResolvedConnection,
    settings: HttpConnectionSettings,
  ): Promise<Bound['inject']> {
    const headers: Record<string, string> = {};
    for (const [name, ref] of Object.entries(settings.extraHeaders)) {
      headers[name.toLowerCase()] = await this.context.resolveSecret(ref);
    }
    let query: [string, string] | null = null;
    if (connection.target.secretRef !== '') {
      const secret = await this.context.resolveSecret(connection.target.secretRef);
      if (settings.authHeaderName !== null) {
        headers[settings.authHeaderName] =
          settings.authScheme === 'bearer'
            ? `Bearer ${secret}`
            : settings.authScheme === 'basic'
              ? `Basic ${Buffer.from(secret).toString('base64')}`
              : secret;
      }
      if (settings.authQueryParam !== null) query = [settings.authQueryParam, secret];
    }
    return { headers, query };
  }
}
