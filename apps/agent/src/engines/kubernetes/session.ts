import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Transform, type Duplex, type Readable } from 'node:stream';
import {
  KubernetesValueMasker,
  maskSecretsInJson,
  requestInfo,
  requestText,
  type KubernetesRequestInfo,
} from '@postern/policy-kubernetes';
import { describeError, endForAbort, SessionEnd } from '../common/index.js';
import { endToEndHeaders, pipeUpgraded, sendUpstream, serveHttp, switchingProtocols } from '../common/http/index.js';
import type { Principal, ResolvedConnection, SessionSummary } from '../engine.js';
import { addressed, ClientAuth, CONNECTION_PREFIX } from './client-auth.js';
import { MaskingRefused } from './errors.js';
import { ExecRecorder } from './exec-recorder.js';
import { PORTFORWARD_TUNNEL, PortForwardRecorder } from './portforward-recorder.js';
import { RefusalMemory } from './refusal-memory.js';
import { admitRequest } from './request-gate.js';
import type { KubernetesContext } from './rules.js';
import { LogMasking } from './log-masking.js';
import { sendMasked, type MaskedResponseOptions } from './masked-response.js';
import {
  answerMessage,
  sendStatus,
  statusAnswer,
  statusBody,
  statusCode,
  writeRawAnswer,
  writeRawStatus,
  type StatusReason,
} from './status.js';
import { upgradeStream } from './stream-upgrade.js';
import { openUpstream, upstreamHeaders, upstreamPath, type Upstream } from './upstream.js';

/** Requests audited (besides being recorded): what changes the cluster or opens a stream into a pod. */
const AUDITED_VERBS: ReadonlySet<string> = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const AUDITED_SUBRESOURCES: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward', 'ephemeralcontainers']);

export interface KubernetesSessionSettings {
  /** Time a client has to complete TLS and a first authenticated request. */
  authTimeoutMs: number;
  maxAuthFailures: number;
  maxHeaderBytes: number;
  /** A kept-alive client connection with no request for this long is closed. */
  idleTimeoutMs: number;
  /** Largest Secret response read whole to be masked (and largest watch event). */
  maxMaskedBytes: number;
  /** Terminal I/O recorded per exec stream; past it the stream's recording is marked truncated. */
  recordingMaxBytes: number;
}

interface Admitted {
  principal: Principal;
  connection: ResolvedConnection;
  target: string;
  info: KubernetesRequestInfo | null;
}

/**
 * One client connection of the Kubernetes engine: TLS with the ingress's certificate (relayed
 * sessions arrive with TLS terminated by the control plane's relay, see `run`), HTTP/1.1
 * served by node:http (HTTP/2 is not offered; client-go falls back), every request
 * authenticated (client-auth.ts), checked by the `kubernetes` rules (request-gate.ts), forwarded
 * to the API server with the agent's token and the identity as impersonation (upstream.ts),
 * Secret values (and what masking rules name in ConfigMaps and logs) masked (masked-response.ts,
 * log-masking.ts), exec/attach recorded (exec-recorder.ts), and every
 * request recorded. Revocation or shutdown cuts the connection and every upstream stream at once.
 */
export class KubernetesSession {
  private readonly auth: ClientAuth;
  private upstream: Promise<Upstream> | null = null;
  private readonly live = new Set<{ destroy(): void }>();
  private streams = 0;
  private readonly summary: SessionSummary = {
    endReason: 'client_closed',
    bytesFromClient: 0,
    bytesFromTarget: 0,
    statementCount: 0,
  };
  private finished = false;
  private resolveDone!: () => void;
  private readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly client: Duplex,
    private readonly context: KubernetesContext,
    private readonly settings: KubernetesSessionSettings,
    private readonly refusals: RefusalMemory = new RefusalMemory(),
  ) {
    this.auth = new ClientAuth(context, settings.maxAuthFailures);
  }

  async run(): Promise<void> {
    const { context } = this;
    if (context.signal.aborted) {
      this.client.destroy();
      this.finish(endForAbort(context.signal));
      return this.done;
    }
    // Relayed sessions arrive in clear: the control plane's relay terminated the client's TLS with
    // its own certificate, and the data connection to this agent is the agent's mutually
    // authenticated TLS. Anything else without a certificate is refused (fail closed).
    if (context.clientTls === null && context.ingress !== 'relay') {
      // kubectl speaks https only; a local ingress without a certificate cannot serve it.
      this.client.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${statusBody('BadRequest', 'Postern: this listener has no TLS certificate; the Kubernetes engine needs one')}`,
      );
      this.finish(new SessionEnd('protocol_error', 'no TLS certificate on the ingress'));
      return this.done;
    }
    // Answers go out at once (no Nagle delay against the client's delayed ACK): each write is a
    // whole response head or body piece already.
    if (this.client instanceof Socket) this.client.setNoDelay(true);
    const onAbort = (): void => this.finish(endForAbort(context.signal));
    context.signal.addEventListener('abort', onAbort, { once: true });
    const authTimer = setTimeout(() => {
      if (!this.auth.authenticated) this.finish(new SessionEnd('auth_failed', 'no authenticated request in time'));
    }, this.settings.authTimeoutMs);
    authTimer.unref();
    // The HTTP kit's front: TLS, node:http on the Duplex, framing checks against smuggling.
    const served = await serveHttp(
      this.client,
      {
        tls: context.ingress === 'relay' ? null : context.clientTls,
        signal: context.signal,
        maxHeaderBytes: this.settings.maxHeaderBytes,
        idleTimeoutMs: this.settings.idleTimeoutMs,
      },
      {
        request: (request, response) => {
          this.serveRequest(request, response).catch((error: unknown) => {
            context.logger.error({ err: error }, 'kubernetes request failed');
            sendStatus(response, 'InternalError', 'Postern: internal error');
          });
        },
        upgrade: (request, stream, head) => {
          this.serveUpgrade(request, stream, head).catch((error: unknown) => {
            context.logger.error({ err: error }, 'kubernetes upgrade failed');
            stream.destroy();
          });
        },
      },
    );
    clearTimeout(authTimer);
    context.signal.removeEventListener('abort', onAbort);
    this.finish(
      served.endedBy === 'tls'
        ? new SessionEnd('protocol_error', 'TLS handshake failed')
        : SessionEnd.clean('client_closed', served.endedBy === 'idle' ? 'idle connection closed' : 'client closed'),
    );
    return this.done;
  }

  /** Authenticates and checks one request; null when the client has been answered already. */
  private async admit(
    request: IncomingMessage,
    refuse: (reason: StatusReason, message: string, close: boolean) => void,
    /** false: authenticate only (a request refused whatever the rules say is not held for approval). */
    gated = true,
  ): Promise<Admitted | null> {
    const where = addressed(request.url ?? '/');
    if (where === null) {
      refuse(
        'NotFound',
        `Postern: address a Kubernetes connection as ${CONNECTION_PREFIX}<connection> (see \`postern kubeconfig\`)`,
        false,
      );
      return null;
    }
    const verdict = await this.auth.check(request, where.connectionName);
    if (!verdict.ok) {
      refuse(verdict.reason, verdict.message, verdict.close);
      if (verdict.close) this.finish(new SessionEnd('auth_failed', verdict.message));
      return null;
    }
    if (verdict.first) {
      this.context.opened(verdict.principal, verdict.connection);
      this.upstream = openUpstream(verdict.connection, this.context);
      this.upstream.catch(() => undefined);
    }
    const method = request.method ?? 'GET';
    let info: KubernetesRequestInfo | null = null;
    try {
      info = requestInfo(method, where.target);
    } catch {
      // admitRequest refuses what cannot be read.
    }
    const gate = gated
      ? await admitRequest(requestText(method, where.target), info, this.context)
      : { ok: true as const };
    if (!gate.ok) {
      if (request.headers.upgrade !== undefined)
        this.refusals.remember(verdict.principal.id, streamKey(where.target), statusAnswer(gate.reason, gate.message));
      refuse(gate.reason, gate.message, false);
      return null;
    }
    return { principal: verdict.principal, connection: verdict.connection, target: where.target, info };
  }

  private async target(): Promise<Upstream> {
    if (this.upstream === null) throw new Error('not authenticated');
    return this.upstream;
  }

  private async serveRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = request.method ?? 'GET';
    let refused: string | undefined;
    let bytesFromClient = 0;
    let bytesFromTarget = 0;
    let masked = 0;
    let logMasking: LogMasking | null = null;
    let info: KubernetesRequestInfo | null = null;
    let target = request.url ?? '/';
    response.once('close', () => {
      if (this.auth.authenticated)
        this.recordRequest(
          method,
          target,
          info,
          response.statusCode,
          started,
          bytesFromClient,
          bytesFromTarget,
          masked + (logMasking?.masked ?? 0),
          refused,
        );
    });
    const admitted = await this.admit(request, (reason, message, close) => {
      refused = message;
      if (close) response.setHeader('connection', 'close');
      sendStatus(response, reason, message);
      request.resume();
    });
    if (admitted === null) return;
    ({ info, target } = admitted);
    let upstream: Upstream;
    try {
      upstream = await this.target();
    } catch (error) {
      refused = describeError(error);
      this.context.logger.warn(`kubernetes target: ${refused}`);
      sendStatus(
        response,
        'ServiceUnavailable',
        `Postern: the API server of "${admitted.connection.name}" cannot be reached`,
      );
      request.resume();
      return;
    }
    const masking = this.maskingFor(info);
    const headers = upstreamHeaders(request.headers, request.rawHeaders, upstream, admitted.principal, {
      forceJson: masking?.json !== undefined,
      identity: masking?.log !== undefined,
    });
    const abort = new AbortController();
    const live = { destroy: () => abort.abort() };
    this.live.add(live);
    response.once('close', () => {
      this.live.delete(live);
      if (!response.writableFinished) abort.abort();
    });
    const hasBody =
      request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;
    // Counted on the way through (a 'data' listener would start the flow before undici reads).
    const requestBody = hasBody
      ? request.pipe(
          new Transform({
            transform: (chunk: Buffer, _encoding, done) => {
              bytesFromClient += chunk.length;
              this.summary.bytesFromClient += chunk.length;
              done(null, chunk);
            },
          }),
        )
      : null;
    let answer;
    try {
      answer = await sendUpstream(upstream.pool, {
        method,
        path: upstreamPath(upstream, target),
        headers,
        body: requestBody,
        signal: abort.signal,
      });
    } catch (error) {
      refused ??= describeError(error);
      if (!abort.signal.aborted) this.context.logger.warn(`kubernetes target: ${refused}`);
      sendStatus(
        response,
        'ServiceUnavailable',
        `Postern: the API server of "${admitted.connection.name}" cannot be reached`,
      );
      return;
    }
    const body = answer.body;
    body.on('data', (chunk: Buffer) => {
      bytesFromTarget += chunk.length;
      this.summary.bytesFromTarget += chunk.length;
    });
    body.on('error', () => response.destroy());
    const replyHeaders = endToEndHeaders(answer.headers);
    if (masking?.json !== undefined && answer.statusCode < 300) {
      try {
        masked = await sendMasked({ statusCode: answer.statusCode, body }, response, replyHeaders, masking.json);
      } catch (error) {
        refused = describeError(error);
        if (error instanceof MaskingRefused) this.context.logger.warn(refused);
        else if (!abort.signal.aborted) this.context.logger.error({ err: error }, 'secret masking failed');
        body.destroy();
        if (!response.headersSent)
          sendStatus(response, 'InternalError', 'Postern: the response could not be masked, so it was not sent');
        else response.destroy();
      }
      return;
    }
    let source: Readable = body;
    if (masking?.log !== undefined && answer.statusCode < 300) {
      const encoding = String(replyHeaders['content-encoding'] ?? 'identity');
      if (encoding !== 'identity') {
        // Asked for identity: a compressed log could not be read line by line, so it is not sent.
        refused = `a log in ${encoding} cannot be masked`;
        this.context.logger.warn(refused);
        body.destroy();
        sendStatus(response, 'InternalError', 'Postern: the log could not be masked, so it was not sent');
        return;
      }
      const lines = masking.log;
      logMasking = lines;
      delete replyHeaders['content-length'];
      source = body.pipe(lines);
      lines.on('error', (error) => {
        refused = describeError(error);
        this.context.logger.warn(refused);
        body.destroy();
        response.destroy();
      });
    }
    response.writeHead(answer.statusCode, replyHeaders);
    // Streams (logs -f, watches) reach the client as they arrive, their head first.
    if (info?.verb === 'watch' || /[?&]follow=(true|1)\b/.test(target)) response.flushHeaders();
    source.pipe(response);
  }

  /**
   * How a request's answer is masked: Secret values always; ConfigMap values and log lines when
   * masking rules apply to the session (ConfigMaps by key name and detectors, logs by detectors).
   */
  private maskingFor(info: KubernetesRequestInfo | null): { json?: MaskedResponseOptions; log?: LogMasking } | null {
    const watch = info?.verb === 'watch';
    const maxBytes = this.settings.maxMaskedBytes;
    if (info?.resource === 'secrets')
      return { json: { what: 'Secret', mask: (text) => maskSecretsInJson(text, true), watch, maxBytes } };
    const { masking, hashKey } = this.context.policy();
    if (masking === null) return null;
    if (info?.resource === 'configmaps') {
      const masker = new KubernetesValueMasker(masking, hashKey);
      return { json: { what: 'ConfigMap', mask: (text) => masker.maskConfigMapsInJson(text, true), watch, maxBytes } };
    }
    if (info?.resource === 'pods' && info.subresource === 'log') {
      const masker = new KubernetesValueMasker(masking, hashKey);
      return masker.detects ? { log: new LogMasking(masker, maxBytes) } : null;
    }
    return null;
  }

  private async serveUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const started = Date.now();
    const method = request.method ?? 'GET';
    let status = 0;
    let refused: string | undefined;
    // SPDY is refused before the rules are asked: kubectl falls back to it when its WebSocket was
    // refused, and a second hold for the same exec would ask reviewers twice.
    const websocket = String(request.headers.upgrade ?? '').toLowerCase() === 'websocket';
    const admitted = await this.admit(
      request,
      (reason, message) => {
        refused = message;
        status = statusCode(reason);
        writeRawStatus(socket, reason, message);
      },
      websocket,
    );
    if (admitted === null) {
      if (this.auth.authenticated)
        this.recordRequest(method, request.url ?? '/', null, status, started, 0, 0, 0, refused);
      return;
    }
    const { info, target } = admitted;
    const record = (code: number, fromClient: number, fromTarget: number, why?: string) =>
      this.recordRequest(method, target, info, code, started, fromClient, fromTarget, 0, why);
    if (!websocket) {
      // SPDY streams are multiplexed and compressed: the engine could not record them, so it
      // does not relay them. kubectl 1.30+ asks for a WebSocket first.
      const earlier = this.refusals.recall(admitted.principal.id, streamKey(target));
      if (earlier !== null) {
        writeRawAnswer(socket, earlier);
        return record(earlier.code, 0, 0, answerMessage(earlier));
      }
      const message =
        'Postern: SPDY streams are not relayed; use a client that speaks WebSocket (kubectl 1.30 or later)';
      writeRawStatus(socket, 'BadRequest', message);
      return record(400, 0, 0, message);
    }
    let upstream: Upstream;
    try {
      upstream = await this.target();
    } catch (error) {
      writeRawStatus(
        socket,
        'ServiceUnavailable',
        `Postern: the API server of "${admitted.connection.name}" cannot be reached`,
      );
      return record(503, 0, 0, describeError(error));
    }
    const headers = upstreamHeaders(request.headers, request.rawHeaders, upstream, admitted.principal, {
      forceJson: false,
    });
    const abort = new AbortController();
    const live = { destroy: () => abort.abort() };
    this.live.add(live);
    let upgraded;
    try {
      upgraded = await upgradeStream(upstream.pool, {
        method,
        path: upstreamPath(upstream, target),
        headers,
        signal: abort.signal,
      });
    } catch (error) {
      this.live.delete(live);
      const why = describeError(error);
      if (!abort.signal.aborted) this.context.logger.warn(`kubernetes upgrade failed upstream: ${why}`);
      writeRawStatus(
        socket,
        'ServiceUnavailable',
        `Postern: the API server of "${admitted.connection.name}" cannot be reached`,
      );
      return record(503, 0, 0, why);
    }
    this.live.delete(live);
    if (!upgraded.upgraded) {
      // The API server's own answer (RBAC's 403, a missing pod) reaches the client, and its SPDY
      // retry gets the same one.
      const { refusal } = upgraded;
      this.refusals.remember(admitted.principal.id, streamKey(target), refusal);
      writeRawAnswer(socket, refusal);
      return record(refusal.code, 0, 0, answerMessage(refusal));
    }
    this.pipeUpgraded(
      socket,
      head,
      upgraded.socket,
      upgraded.headers as Record<string, string | string[] | undefined>,
      admitted,
      record,
    );
  }

  private pipeUpgraded(
    socket: Duplex,
    head: Buffer,
    upstreamSocket: Duplex,
    replyHeaders: Record<string, string | string[] | undefined>,
    admitted: Admitted,
    record: (code: number, fromClient: number, fromTarget: number, why?: string) => void,
  ): void {
    const { info } = admitted;
    const query = new URLSearchParams(admitted.target.split('?')[1] ?? '');
    const protocol = String(replyHeaders['sec-websocket-protocol'] ?? '');
    const stream = this.streams++;
    const interactive = info?.subresource === 'exec' || info?.subresource === 'attach';
    const cut = new AbortController();
    const live = { destroy: () => cut.abort() };
    this.live.add(live);
    const failed = (why: string) => {
      this.context.logger.warn(`${info?.subresource ?? 'upgraded'} stream ended: ${why}`);
      cut.abort();
    };
    let recorder: StreamRecorder | null = null;
    if (interactive)
      recorder = new ExecRecorder(
        this.context,
        stream,
        {
          subresource: info.subresource as 'exec' | 'attach',
          namespace: info.namespace,
          pod: info.name,
          container: query.get('container'),
          command: query.getAll('command'),
          tty: query.get('tty') === 'true' || query.get('tty') === '1',
          protocol,
        },
        this.settings.recordingMaxBytes,
        failed,
      );
    else if (info?.subresource === 'portforward' && protocol === PORTFORWARD_TUNNEL)
      recorder = new PortForwardRecorder(
        this.context,
        stream,
        { namespace: info.namespace, name: info.name },
        this.settings.recordingMaxBytes,
        failed,
      );
    socket.write(switchingProtocols(replyHeaders));
    if (head.length > 0) {
      recorder?.client(head);
      upstreamSocket.write(head);
    }
    void pipeUpgraded(socket, upstreamSocket, {
      signal: cut.signal,
      onChunk: (direction, chunk) => {
        if (direction === 'client') {
          this.summary.bytesFromClient += chunk.length;
          recorder?.client(chunk);
        } else {
          this.summary.bytesFromTarget += chunk.length;
          recorder?.target(chunk);
        }
      },
    }).then((result) => {
      this.live.delete(live);
      recorder?.end();
      record(101, result.bytesFromClient + head.length, result.bytesFromUpstream);
    });
  }

  private recordRequest(
    method: string,
    target: string,
    info: KubernetesRequestInfo | null,
    status: number,
    started: number,
    bytesFromClient: number,
    bytesFromTarget: number,
    masked: number,
    refused: string | undefined,
  ): void {
    this.summary.statementCount += 1;
    const path = target.split('?')[0] ?? target;
    if (info !== null && (AUDITED_VERBS.has(info.verb) || AUDITED_SUBRESOURCES.has(info.subresource))) {
      this.context.audit({
        kind: 'kubernetes.request',
        decision: refused === undefined ? 'forwarded' : 'refused',
        policyVersion: this.context.policy().version,
        details: {
          verb: info.verb,
          resource: info.resource,
          ...(info.apiGroup ? { apiGroup: info.apiGroup } : {}),
          ...(info.subresource ? { subresource: info.subresource } : {}),
          ...(info.namespace ? { namespace: info.namespace } : {}),
          ...(info.name ? { name: info.name } : {}),
          status,
        },
      });
    }
    this.context.record('kubernetes.request', {
      method,
      path,
      verb: info?.verb ?? method.toLowerCase(),
      apiGroup: info?.apiGroup ?? '',
      resource: info?.resource ?? '',
      ...(info?.subresource ? { subresource: info.subresource } : {}),
      ...(info?.namespace ? { namespace: info.namespace } : {}),
      ...(info?.name ? { name: info.name } : {}),
      status,
      durationMs: Date.now() - started,
      bytesFromClient,
      bytesFromTarget,
      ...(masked > 0 ? { masked } : {}),
      ...(refused === undefined ? {} : { refused }),
    });
  }

  private finish(end: SessionEnd): void {
    if (this.finished) return;
    this.finished = true;
    this.summary.endReason = end.reason;
    if (!end.clean) this.summary.error = end.message;
    for (const stream of [...this.live]) stream.destroy();
    this.live.clear();
    this.client.destroy();
    void this.upstream?.then(
      (upstream) => upstream.pool.destroy(),
      () => undefined,
    );
    this.context.closed(this.summary);
    this.resolveDone();
  }
}

/** What records an upgraded stream from a copy of its bytes (exec/attach, port-forward). */
interface StreamRecorder {
  client(chunk: Buffer): void;
  target(chunk: Buffer): void;
  end(): void;
}

/** A stream request as kubectl repeats it over SPDY: the path and query (the method differs). */
function streamKey(target: string): string {
  return target;
}
