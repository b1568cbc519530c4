/*
 * A STAND-IN for a real kube-apiserver, which cannot run on these machines (no container engine,
 * no API server binary in Debian or npm): an in-process HTTPS server that answers what kubectl
 * 1.32 asks for — discovery (legacy form), /version, namespaces, pods, deployments, secrets,
 * configmaps and events (get, list with tables, create, update, merge/strategic/apply patches,
 * delete, watch), pod logs (with follow) and exec over the remote-command WebSocket protocols
 * (v5.channel.k8s.io, v4.channel.k8s.io), and port-forward both ways kubectl 1.32 asks for it: a
 * WebSocket with subprotocol `SPDY/3.1+portforward.k8s.io` tunnelling SPDY/3.1 frames, and the
 * plain SPDY/3.1 upgrade it falls back to (spdy.ts, spdy-server.ts, port-forward.ts). Pod ports
 * reach real TCP services a test names with `exposePort`. Simplified SPDY: streams are accepted
 * at once, flow control (WINDOW_UPDATE) and SETTINGS are ignored, header blocks the stand-in sends
 * are stored (uncompressed) deflate blocks in the dictionary-primed zlib stream. Exec is also
 * served over SPDY/3.1 (`v4.channel.k8s.io`, one stream per channel; exec-spdy.ts), kubectl's
 * fallback. Request bodies must be JSON: typed clients that send protobuf (`kubectl create secret generic`) get 415, where a real
 * API server would accept them (the agent forwards bodies untouched).
 *
 * It checks the caller's bearer token (the agent's service-account token) and records every
 * request with the impersonation headers it carried, so tests can assert who the "cluster" saw.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { CertificateFiles } from '../tls.js';
import { selfSignedCertificate } from '../tls.js';
import { readFileSync } from 'node:fs';
import {
  apiGroupList,
  apiVersions,
  findResource,
  openApiDocument,
  openApiRoot,
  resourceList,
  VERSION_INFO,
  type ResourceDef,
} from './discovery.js';
import { runExec } from './exec.js';
import { serveSpdyExec } from './exec-spdy.js';
import { servePortForward } from './port-forward.js';
import type { SpdyServerConnection } from './spdy-server.js';
import { mergePatch, ObjectStore, type KubeObject, type WatchEvent } from './store.js';
import { toTable, wantsTable } from './tables.js';

export interface RecordedKubeRequest {
  method: string;
  path: string;
  query: string;
  /** `Impersonate-User`, or null when absent. */
  impersonateUser: string | null;
  /** Every `Impersonate-Group` value, in order. */
  impersonateGroups: string[];
  /** Other `Impersonate-*` headers (Impersonate-Uid, Impersonate-Extra-…): the agent must never send client ones. */
  otherImpersonation: Record<string, string>;
  accept: string;
  status: number;
}

export interface StandInApiServer {
  url: string;
  /** PEM of the server's self-signed certificate (its own CA). */
  ca: string;
  certificate: CertificateFiles;
  token: string;
  store: ObjectStore;
  requests: RecordedKubeRequest[];
  /** Stdin bytes the exec processes received, by pod. */
  execStdin: Map<string, string>;
  /** Appends a line to a pod's log; followers of the log see it at once. */
  appendLog(namespace: string, pod: string, line: string): void;
  /** Writes raw text to a pod's log (a part of a line, several lines) as one chunk to followers. */
  writeLog(namespace: string, pod: string, text: string): void;
  /** Number of exec sessions currently open. */
  openExecs(): number;
  /** Makes a pod's port reach a real local TCP service (port-forward dials it). */
  exposePort(namespace: string, pod: string, podPort: number, target: { host: string; port: number }): void;
  /** Port-forward connections (WebSocket tunnels or SPDY upgrades) currently open. */
  openPortForwards(): number;
  /**
   * Stream requests RBAC refuses, as `<namespace>/<resource>/<subresource>` (`prod/pods/exec`):
   * their upgrade is answered 403 with a Status naming the impersonated user, as RBAC words it.
   */
  forbidden: Set<string>;
  close(): Promise<void>;
}

/** port-forward's stream protocol, and its name as a WebSocket subprotocol tunnelling SPDY (kubectl 1.30+). */
const PORTFORWARD_PROTOCOL = 'portforward.k8s.io';
const PORTFORWARD_TUNNEL_PROTOCOL = `SPDY/3.1+${PORTFORWARD_PROTOCOL}`;
/** The remote-command version the stand-in speaks over SPDY (kubectl offers v5 only over WebSocket). */
const EXEC_SPDY_PROTOCOL = 'v4.channel.k8s.io';

const STATUS_REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
};

const json = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

export function kubeStatus(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

interface Target {
  def: ResourceDef;
  namespace: string;
  name: string;
  subresource: string;
}

/** Starts the stand-in on 127.0.0.1 with a fresh certificate; `token` is the only bearer token it accepts. */
export async function startStandInApiServer(options: { token: string }): Promise<StandInApiServer> {
  const certificate = await selfSignedCertificate(['localhost']);
  const store = new ObjectStore();
  const requests: RecordedKubeRequest[] = [];
  const logs = new Map<string, string>();
  const logFollowers = new Map<string, Set<ServerResponse>>();
  const execStdin = new Map<string, string>();
  let execs = 0;
  const podPorts = new Map<string, { host: string; port: number }>();
  const forbidden = new Set<string>();
  const portForwards = new Set<SpdyServerConnection>();
  // ws refuses `SPDY/3.1+portforward.k8s.io` as a subprotocol ('/' is not a token character):
  // the upgrade handler checks and removes the client's offer, the answer names it again here.
  const tunnels = new WebSocketServer({ noServer: true });
  tunnels.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${PORTFORWARD_TUNNEL_PROTOCOL}`));
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) =>
      protocols.has('v5.channel.k8s.io')
        ? 'v5.channel.k8s.io'
        : protocols.has('v4.channel.k8s.io')
          ? 'v4.channel.k8s.io'
          : false,
  });

  const record = (req: IncomingMessage, status: number) => {
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const other: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith('impersonate-') && name !== 'impersonate-user' && name !== 'impersonate-group')
        other[name] = String(value);
    }
    const groups: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]!.toLowerCase() === 'impersonate-group') groups.push(req.rawHeaders[i + 1]!);
    }
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.search,
      impersonateUser: (req.headers['impersonate-user'] as string | undefined) ?? null,
      impersonateGroups: groups,
      otherImpersonation: other,
      accept: req.headers.accept ?? '',
      status,
    });
  };

  const authorized = (req: IncomingMessage) => req.headers.authorization === `Bearer ${options.token}`;

  const parseTarget = (pathname: string): Target | null | 'discovery' => {
    const parts = pathname.split('/').filter(Boolean);
    let group = '';
    let rest: string[];
    if (parts[0] === 'api') rest = parts.slice(1);
    else if (parts[0] === 'apis' && parts.length >= 2) {
      group = parts[1]!;
      rest = parts.slice(2);
    } else return null;
    const version = rest[0];
    if (version === undefined) return null;
    rest = rest.slice(1);
    if (rest.length === 0) return 'discovery';
    let namespace = '';
    if (rest[0] === 'namespaces' && rest.length > 2) {
      namespace = rest[1]!;
      rest = rest.slice(2);
    }
    const def = findResource(group, version, rest[0] ?? '');
    if (!def) return null;
    return { def, namespace, name: rest[1] ?? '', subresource: rest[2] ?? '' };
  };

  const typeKey = (def: ResourceDef) => `${def.group}/${def.resource}`;
  const withKind = (def: ResourceDef, object: KubeObject): KubeObject => ({
    ...object,
    apiVersion: def.group === '' ? def.version : `${def.group}/${def.version}`,
    kind: def.kind,
  });

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const respond = (status: number, body: unknown) => {
      record(req, status);
      json(res, status, body);
    };
    if (!authorized(req)) return respond(401, kubeStatus(401, 'Unauthorized', 'Unauthorized'));
    const path = url.pathname;
    if (path === '/version') return respond(200, VERSION_INFO);
    if (path === '/api') return respond(200, apiVersions());
    if (path === '/apis') return respond(200, apiGroupList());
    if (path === '/openapi/v3') return respond(200, openApiRoot());
    if (path.startsWith('/openapi/v3/')) {
      const document = openApiDocument(path.slice('/openapi/v3/'.length));
      if (document) return respond(200, document);
    }
    if (path.startsWith('/openapi'))
      return respond(404, kubeStatus(404, 'NotFound', 'the stand-in serves no such OpenAPI document'));
    if (/protobuf/.test(req.headers['content-type'] ?? '')) {
      return respond(415, kubeStatus(415, 'UnsupportedMediaType', 'the stand-in reads JSON bodies only'));
    }
    const target = parseTarget(path);
    if (target === 'discovery') {
      const parts = path.split('/').filter(Boolean);
      const list = parts[0] === 'api' ? resourceList('', parts[1]!) : resourceList(parts[1]!, parts[2]!);
      return list
        ? respond(200, list)
        : respond(404, kubeStatus(404, 'NotFound', 'the server could not find the requested resource'));
    }
    if (target === null)
      return respond(404, kubeStatus(404, 'NotFound', 'the server could not find the requested resource'));
    const { def, namespace, name, subresource } = target;
    const type = typeKey(def);
    const method = req.method ?? 'GET';
    const notFound = () => respond(404, kubeStatus(404, 'NotFound', `${def.resource} "${name}" not found`));
    if (def.namespaced && namespace !== '' && store.get('/namespaces', '', namespace) === undefined) {
      return respond(404, kubeStatus(404, 'NotFound', `namespaces "${namespace}" not found`));
    }

    if (subresource === 'log') {
      if (store.get(type, namespace, name) === undefined) return notFound();
      const key = `${namespace}/${name}`;
      record(req, 200);
      res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
      const written = logs.get(key);
      if (written !== undefined) res.write(written);
      if (url.searchParams.get('follow') !== 'true') return res.end();
      const followers = logFollowers.get(key) ?? new Set();
      logFollowers.set(key, followers);
      followers.add(res);
      res.on('close', () => followers.delete(res));
      return;
    }
    if (subresource !== '' && subresource !== 'status' && subresource !== 'scale') {
      return respond(400, kubeStatus(400, 'BadRequest', `${subresource} needs an upgrade to a streaming protocol`));
    }

    if (method === 'GET' && name === '') {
      let objects = store.list(type, namespace).map((o) => withKind(def, o));
      const selector = url.searchParams.get('fieldSelector') ?? '';
      const one = /^metadata\.name==?(.+)$/.exec(selector);
      if (one) objects = objects.filter((o) => o.metadata.name === one[1]);
      if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
        record(req, 200);
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        const since = Number(url.searchParams.get('resourceVersion') ?? '0');
        const table = wantsTable(req.headers.accept);
        const send = (event: WatchEvent) => {
          const object = withKind(def, event.object);
          if (one && object.metadata.name !== one[1]) return;
          if (namespace !== '' && object.metadata.namespace !== namespace) return;
          const payload = table
            ? toTable(
                def.resource,
                [object],
                url.searchParams.get('includeObject') ?? 'Metadata',
                store.resourceVersion,
              )
            : object;
          res.write(`${JSON.stringify({ type: event.type, object: payload })}\n`);
        };
        // From a version: every change after it (as a real watch cache replays), then live ones;
        // replay and subscription happen in one turn, so nothing falls between them.
        if (since > 0) for (const event of store.changesSince(type, since)) send(event);
        else for (const object of objects) send({ type: 'ADDED', object });
        store.events.on(type, send);
        const timeout = Number(url.searchParams.get('timeoutSeconds') ?? '0');
        const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : null;
        res.on('close', () => {
          store.events.off(type, send);
          if (timer) clearTimeout(timer);
        });
        return;
      }
      if (wantsTable(req.headers.accept)) {
        return respond(
          200,
          toTable(def.resource, objects, url.searchParams.get('includeObject') ?? 'Metadata', store.resourceVersion),
        );
      }
      return respond(200, {
        kind: `${def.kind}List`,
        apiVersion: def.group === '' ? def.version : `${def.group}/${def.version}`,
        metadata: { resourceVersion: store.resourceVersion },
        items: objects.map(({ kind: _k, apiVersion: _a, ...rest }) => rest),
      });
    }
    if (method === 'GET') {
      const object = store.get(type, namespace, name);
      if (!object) return notFound();
      if (wantsTable(req.headers.accept)) {
        return respond(
          200,
          toTable(
            def.resource,
            [withKind(def, object)],
            url.searchParams.get('includeObject') ?? 'Metadata',
            store.resourceVersion,
          ),
        );
      }
      return respond(200, withKind(def, object));
    }
    if (method === 'POST' && name === '') {
      const body = JSON.parse(await readBody(req)) as KubeObject;
      if (!body?.metadata?.name) return respond(422, kubeStatus(422, 'Invalid', 'metadata.name: Required value'));
      if (store.get(type, namespace, body.metadata.name)) {
        return respond(409, kubeStatus(409, 'AlreadyExists', `${def.resource} "${body.metadata.name}" already exists`));
      }
      if (def.namespaced) body.metadata.namespace = namespace;
      return respond(201, withKind(def, store.put(type, body).object));
    }
    if (method === 'PUT' && name !== '') {
      const body = JSON.parse(await readBody(req)) as KubeObject;
      if (def.namespaced) body.metadata.namespace = namespace;
      return respond(200, withKind(def, store.put(type, body).object));
    }
    if (method === 'PATCH' && name !== '') {
      const contentType = req.headers['content-type'] ?? '';
      const patch = JSON.parse(await readBody(req)) as KubeObject;
      const existing = store.get(type, namespace, name);
      if (!existing && !contentType.startsWith('application/apply-patch')) return notFound();
      if (!/merge-patch|apply-patch/.test(contentType))
        return respond(415, kubeStatus(415, 'UnsupportedMediaType', contentType));
      const merged = mergePatch(existing ?? {}, patch) as KubeObject;
      merged.metadata = { ...merged.metadata, name };
      if (def.namespaced) merged.metadata.namespace = namespace;
      const { object, created } = store.put(type, merged);
      return respond(created ? 201 : 200, withKind(def, object));
    }
    if (method === 'DELETE' && name !== '') {
      const deleted = store.delete(type, namespace, name);
      if (!deleted) return notFound();
      return respond(200, withKind(def, deleted));
    }
    return respond(405, kubeStatus(405, 'MethodNotAllowed', `${method} is not supported by the stand-in`));
  };

  const server: Server = createServer(
    { key: readFileSync(certificate.keyFile), cert: certificate.cert },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) json(res, 500, kubeStatus(500, 'InternalError', String(error)));
        else res.destroy();
      });
    },
  );
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const target = parseTarget(url.pathname);
    const refuse = (status: number, text: string, reason = STATUS_REASONS[status] ?? 'BadRequest') => {
      record(req, status);
      const body = JSON.stringify(kubeStatus(status, reason, text));
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    };
    if (!authorized(req)) return refuse(401, 'Unauthorized');
    if (
      target !== null &&
      target !== 'discovery' &&
      forbidden.has(`${target.namespace}/${target.def.resource}/${target.subresource}`)
    ) {
      const user = String(req.headers['impersonate-user'] ?? 'system:serviceaccount:default:postern-agent');
      return refuse(
        403,
        `${target.def.resource} "${target.name}" is forbidden: User "${user}" cannot create resource "${target.def.resource}/${target.subresource}" in API group "${target.def.group}" in the namespace "${target.namespace}"`,
      );
    }
    if (
      target === null ||
      target === 'discovery' ||
      (target.subresource !== 'exec' && target.subresource !== 'portforward')
    )
      return refuse(404, 'Not Found');
    if (store.get(typeKey(target.def), target.namespace, target.name) === undefined)
      return refuse(404, `${target.def.resource} "${target.name}" not found`);
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (target.subresource === 'portforward') {
      const pod = `${target.namespace}/${target.name}`;
      const dial = (port: number) => dialPodPort(pod, port);
      const track = (connection: SpdyServerConnection) => {
        portForwards.add(connection);
        return () => {
          portForwards.delete(connection);
          connection.close();
        };
      };
      if (upgrade === 'websocket') {
        const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(/\s*,\s*/);
        if (!offered.includes(PORTFORWARD_TUNNEL_PROTOCOL))
          return refuse(400, `port-forward over WebSocket needs the ${PORTFORWARD_TUNNEL_PROTOCOL} subprotocol`);
        delete req.headers['sec-websocket-protocol'];
        tunnels.handleUpgrade(req, socket, head, (ws) => {
          record(req, 101);
          // The tunnel carries the SPDY connection's bytes as binary messages, nothing else.
          const connection = servePortForward({ write: (data) => ws.send(data), close: () => ws.close() }, dial);
          const untrack = track(connection);
          ws.on('message', (data: Buffer) => connection.receive(data));
          ws.on('close', untrack);
        });
        return;
      }
      const versions = String(req.headers['x-stream-protocol-version'] ?? '').split(/\s*,\s*/);
      if (upgrade !== 'spdy/3.1' || !versions.includes(PORTFORWARD_PROTOCOL))
        return refuse(400, 'port-forward needs SPDY/3.1 with portforward.k8s.io, or its WebSocket tunnel');
      record(req, 101);
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORTFORWARD_PROTOCOL}\r\n\r\n`,
      );
      const connection = servePortForward({ write: (data) => socket.write(data), close: () => socket.destroy() }, dial);
      const untrack = track(connection);
      socket.on('data', (chunk: Buffer) => connection.receive(chunk));
      socket.on('close', untrack);
      socket.on('error', untrack);
      if (head.length > 0) connection.receive(head);
      return;
    }
    const key = `${target.namespace}/${target.name}`;
    const command = url.searchParams.getAll('command');
    const onStdin = (data: Buffer) => execStdin.set(key, (execStdin.get(key) ?? '') + data.toString('utf8'));
    if (upgrade !== 'websocket') {
      const versions = String(req.headers['x-stream-protocol-version'] ?? '').split(/\s*,\s*/);
      if (upgrade !== 'spdy/3.1' || !versions.includes(EXEC_SPDY_PROTOCOL))
        return refuse(400, `exec needs a WebSocket or SPDY/3.1 with ${EXEC_SPDY_PROTOCOL}`);
      record(req, 101);
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${EXEC_SPDY_PROTOCOL}\r\n\r\n`,
      );
      execs += 1;
      const connection = serveSpdyExec(
        { write: (data) => socket.write(data), close: () => socket.end() },
        url.searchParams,
        (exec) => runExec(exec, command, onStdin),
      );
      let counted = true;
      const ended = () => {
        if (counted) execs -= 1;
        counted = false;
        connection.close();
      };
      socket.on('data', (chunk: Buffer) => connection.receive(chunk));
      socket.on('close', ended);
      socket.on('error', ended);
      if (head.length > 0) connection.receive(head);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      record(req, 101);
      execs += 1;
      ws.on('close', () => (execs -= 1));
      runExec(ws, command, onStdin);
    });
  });
  const writeLog = (namespace: string, pod: string, text: string) => {
    const key = `${namespace}/${pod}`;
    logs.set(key, (logs.get(key) ?? '') + text);
    for (const follower of logFollowers.get(key) ?? []) follower.write(text);
  };
  const dialPodPort = (pod: string, port: number) =>
    new Promise<Socket>((resolve, reject) => {
      const target = podPorts.get(`${pod}:${port}`);
      if (target === undefined) {
        reject(new Error(`dial tcp4 127.0.0.1:${port}: connect: connection refused`));
        return;
      }
      const socket = connect(target.port, target.host);
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `https://127.0.0.1:${port}`,
    ca: certificate.cert,
    certificate,
    token: options.token,
    store,
    requests,
    execStdin,
    appendLog: (namespace, pod, line) => writeLog(namespace, pod, `${line}\n`),
    writeLog,
    openExecs: () => execs,
    exposePort(namespace, pod, podPort, target) {
      podPorts.set(`${namespace}/${pod}:${podPort}`, target);
    },
    openPortForwards: () => portForwards.size,
    forbidden,
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const client of tunnels.clients) client.terminate();
      for (const connection of portForwards) connection.close();
      for (const followers of logFollowers.values()) for (const follower of followers) follower.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Seeds namespaces, a pod, a deployment, a secret and a configmap (the objects the tests use). */
export function seedStandIn(store: ObjectStore, namespaces: string[] = ['default', 'prod', 'kube-system']): void {
  for (const ns of namespaces)
    store.put('/namespaces', { metadata: { name: ns }, spec: {}, status: { phase: 'Active' } });
  for (const ns of namespaces) {
    store.put('/pods', {
      metadata: { name: 'web-0', namespace: ns, labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], nodeName: 'node-1' },
      status: { phase: 'Running', podIP: '10.0.0.7' },
    });
    store.put('apps/deployments', {
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    });
    store.put('/secrets', {
      metadata: { name: 'db', namespace: ns },
      type: 'Opaque',
      data: { password: Buffer.from('hunter2-db-password').toString('base64') },
    });
    store.put('/configmaps', { metadata: { name: 'settings', namespace: ns }, data: { mode: 'blue' } });
  }
}
