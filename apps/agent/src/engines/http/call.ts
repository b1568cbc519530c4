/*
 * One HTTP call, as a chain of small stages: canonical path → request rules (allow, 403, hold for
 * approval) → upstream headers (the caller's credential already gone, the connection's injected,
 * the optional identity assertion) → upstream request → response masking (JSON, gzip/deflate) →
 * recording of the call.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, type Duplex, type Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { canonicalPath, JsonBodyMasker, requestText } from '@postern/policy-http';
import { describeError } from '../common/index.js';
import {
  codingStreams,
  endToEndHeaders,
  isJsonMediaType,
  joinPath,
  JsonMaskingStream,
  pipeUpgraded,
  readableCoding,
  redactHeaders,
  sendProblem,
  sendUpstream,
  switchingProtocols,
  upgradeUpstream,
  writeRawProblem,
  type Problem,
} from '../common/http/index.js';
import { HeldRequests } from './approvals.js';
import { BodyTap } from './body-tap.js';
import type { Bound, HttpSession } from './session.js';

/** Request headers never forwarded besides hop-by-hop ones: undici frames the request itself. */
const NOT_FORWARDED = new Set(['expect', 'content-length']);

/** `/a b/%2F` → `/a%20b/%2F`: the canonical path written back for the upstream. */
function encodePath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURI(segment).replace(/\?/g, '%3F').replace(/#/g, '%23').replace(/%252F/gi, '%2F'))
    .join('/');
}

interface Prepared {
  forwardTarget: string;
  /** The request as rules read it (`requestText`), built only when there are rules. */
  text: () => string;
  /** The request's end-to-end headers with secrets redacted: what rules see and what is recorded. */
  checkedHeaders: Record<string, string>;
}

/** The checked form of a request: the path we check is the path we send. */
function prepare(
  bound: Bound,
  target: string,
  method: string,
  headers: IncomingHttpHeaders,
  upgrade?: string,
): Prepared | Problem {
  const canonical = canonicalPath(target);
  if (canonical === null) return { status: 400, slug: 'bad-path', title: 'The request path is not valid' };
  const forwardTarget = encodePath(canonical.path) + (canonical.query === '' ? '' : `?${canonical.query}`);
  const checkedHeaders = redactHeaders(endToEndHeaders(headers), bound.redactions);
  const text = () => {
    // Upgrade is hop-by-hop (never forwarded as such), but rules must see it: `flags: ["websocket"]`.
    const seen = upgrade === undefined ? checkedHeaders : { ...checkedHeaders, upgrade };
    return requestText({ method, target: forwardTarget, headers: seen });
  };
  return { forwardTarget, text, checkedHeaders };
}

/**
 * Applies the request rules. Resolves with null to go on, or the problem to answer. A held
 * request waits up to the connection's hold time; a retry of one already approved goes on once.
 */
async function checkRules(
  session: HttpSession,
  bound: Bound,
  requestText: () => string,
  id: number,
): Promise<Problem | null> {
  const { context } = session;
  const policy = context.policy();
  if (policy.statements.empty) return null;
  const text = requestText();
  const decision = policy.statements.evaluate(text);
  const command = text.split('\n', 1)[0]!;
  switch (decision.action) {
    case 'allow':
      return null;
    case 'invalid':
      context.audit({
        kind: 'statement.blocked',
        decision: 'invalid',
        policyVersion: policy.version,
        details: { call: id, command, reason: decision.message },
      });
      return {
        status: 400,
        slug: 'uncheckable-request',
        title: 'The request cannot be checked',
        detail: decision.message,
      };
    case 'block':
      context.audit({
        kind: 'statement.blocked',
        decision: 'blocked',
        ruleId: decision.rule.id,
        policyVersion: policy.version,
        details: { call: id, command, reason: decision.reason },
      });
      return {
        status: 403,
        slug: 'guardrail',
        title: `Blocked by the guardrail "${decision.rule.name}"`,
        detail: decision.reason,
        rule: { id: decision.rule.id, name: decision.rule.name },
      };
    case 'hold':
      return holdForApproval(session, bound, text, command, decision.rule, decision.reason, id);
  }
}

async function holdForApproval(
  session: HttpSession,
  bound: Bound,
  text: string,
  command: string,
  rule: Parameters<HttpSession['context']['requestApproval']>[0]['rule'],
  reason: string,
  id: number,
): Promise<Problem | null> {
  const { context, settings } = session;
  const policyVersion = context.policy().version;
  const key = HeldRequests.key(bound.principal.id, bound.connection.id, text);
  const known = settings.held.lookup(key);
  if (known !== null && 'approved' in known) {
    context.audit({
      kind: 'statement.approved',
      decision: 'approved',
      ruleId: rule.id,
      policyVersion,
      details: { call: id, command, retry: true },
    });
    return null;
  }
  let entry = known?.pending;
  if (entry === undefined) {
    const { reviewId, outcome } = context.requestApproval({ rule, command: text });
    context.audit({
      kind: 'statement.held',
      decision: 'held',
      ruleId: rule.id,
      policyVersion,
      details: { call: id, command, reviewId, reason },
    });
    entry = settings.held.track(key, reviewId, outcome);
  }
  const timeout = new Promise<'timeout'>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), bound.settings.approvalHoldMs);
    timer.unref();
    void entry.outcome.then(() => clearTimeout(timer));
  });
  const result = await Promise.race([entry.outcome, timeout]);
  const pending = {
    status: 409,
    slug: 'approval-pending',
    title: `Waiting for approval under "${rule.name}"`,
    detail: 'retry the same request once the review is approved',
    reviewId: entry.reviewId,
    rule: { id: rule.id, name: rule.name },
  };
  if (result === 'timeout') return pending;
  if (result.outcome === 'approved') {
    settings.held.consume(key, entry);
    context.audit({
      kind: 'statement.approved',
      decision: 'approved',
      ruleId: rule.id,
      policyVersion,
      details: { call: id, command, reviewId: entry.reviewId, by: result.decidedBy },
    });
    return null;
  }
  context.audit({
    kind: `statement.${result.outcome === 'cancelled' ? 'expired' : result.outcome}` as 'statement.rejected',
    decision: result.outcome,
    ruleId: rule.id,
    policyVersion,
    details: { call: id, command, reviewId: entry.reviewId },
  });
  return {
    status: 403,
    slug: `approval-${result.outcome}`,
    title: `The request was ${result.outcome} under "${rule.name}"`,
    detail: result.comment || undefined,
    reviewId: entry.reviewId,
    rule: { id: rule.id, name: rule.name },
  };
}

/** The headers the upstream gets: end-to-end ones, the injected ones, the identity assertion. */
async function upstreamHeaders(
  session: HttpSession,
  bound: Bound,
  headers: IncomingHttpHeaders,
): Promise<Record<string, string | string[]>> {
  const out = endToEndHeaders(headers);
  for (const name of NOT_FORWARDED) delete out[name];
  Object.assign(out, bound.inject.headers);
  const signer = session.settings.assertion;
  if (signer !== null && bound.settings.identityAssertion) {
    out[signer.settings.header] = await signer.sign(
      bound.principal,
      bound.settings.url.origin,
      bound.connection.name,
      session.context.sessionId,
    );
  } else if (signer !== null) {
    delete out[signer.settings.header];
  }
  return out;
}

function withInjectedQuery(bound: Bound, target: string): string {
  if (bound.inject.query === null) return target;
  const [name, value] = bound.inject.query;
  const q = target.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
  params.delete(name);
  params.append(name, value);
  return `${q < 0 ? target : target.slice(0, q)}?${params.toString()}`;
}

export async function forwardCall(
  session: HttpSession,
  bound: Bound,
  target: string,
  headers: IncomingHttpHeaders,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { context, settings } = session;
  const id = session.nextCallId();
  const started = performance.now();
  const method = request.method ?? 'GET';
  const requestTap = new BodyTap(settings.recordBodyBytes);
  const responseTap = new BodyTap(settings.recordBodyBytes);
  let status = 0;
  let error: string | undefined;
  let responseHeaders: Record<string, string> = {};
  const prepared = prepare(bound, target, method, headers);
  const forwardTarget = 'status' in prepared ? target : prepared.forwardTarget;
  const record = () =>
    context.record('http.request', {
      id,
      method,
      path: forwardTarget,
      status,
      durationMs: Math.round(performance.now() - started),
      requestHeaders: 'status' in prepared ? redactHeaders(endToEndHeaders(headers)) : prepared.checkedHeaders,
      responseHeaders,
      requestBytes: requestTap.bytes,
      responseBytes: responseTap.bytes,
      ...bodies(requestTap, responseTap),
      ...(error !== undefined ? { error } : {}),
    });
  const answer = (problem: Problem) => {
    status = problem.status;
    error = problem.title;
    request.resume();
    sendProblem(response, problem);
    record();
  };
  if ('status' in prepared) return answer(prepared);
  const refused = await checkRules(session, bound, prepared.text, id);
  if (refused !== null) return answer(refused);

  // One abort per call, tied to the session's through one listener the session holds for all its
  // calls (an AbortController and an EventTarget listener per call cost more than the call's bytes).
  const signal = new CallAbort();
  const untrack = session.trackCall(signal);
  response.once('close', () => {
    untrack();
    if (!response.writableFinished) signal.abort(new Error('the client went away'));
  });
  // HTTP/2 frames bodies itself (no Content-Length needed): the stream says whether one follows.
  const h2Stream = (request as unknown as { stream?: { endAfterHeaders: boolean } }).stream;
  const hasBody =
    request.httpVersionMajor === 2
      ? h2Stream?.endAfterHeaders === false
      : request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  let answerData;
  try {
    const body = hasBody ? pipeline(request, requestTap, () => undefined) : null;
    answerData = await sendUpstream(bound.pool, {
      method,
      path: withInjectedQuery(bound, joinPath(bound.settings.url, prepared.forwardTarget)),
      headers: await upstreamHeaders(session, bound, headers),
      body: body as Readable | null,
      signal,
    });
  } catch (failure) {
    context.logger.info({ call: id, err: describeError(failure) }, 'http upstream request failed');
    const timedOut = /timeout/i.test(describeError(failure));
    return answer({
      status: context.signal.aborted ? 503 : timedOut ? 504 : 502,
      slug: context.signal.aborted ? 'session-ended' : 'upstream-failed',
      title: context.signal.aborted ? 'The session was ended' : 'The upstream did not answer',
    });
  }
  status = answerData.statusCode;
  const outHeaders = endToEndHeaders(answerData.headers as IncomingHttpHeaders);
  responseHeaders = redactHeaders(outHeaders);
  const masking = context.policy().masking;
  const bodyless = method === 'HEAD' || status === 204 || status === 304;
  const masked = masking !== null && !bodyless && isJsonMediaType(outHeaders['content-type']);
  const coding = masked ? readableCoding(outHeaders['content-encoding']) : 'identity';
  if (coding === null) {
    answerData.body.on('error', () => undefined).destroy();
    return answer({
      status: 502,
      slug: 'unreadable-encoding',
      title: 'The answer must be masked but its content encoding cannot be read',
      detail: `content-encoding ${String(outHeaders['content-encoding'])}: ask with Accept-Encoding: gzip, deflate or identity`,
    });
  }
  const masker = masked ? new JsonBodyMasker(masking, context.policy().hashKey) : null;
  const finish = (failure?: string) => {
    session.countFromTarget(responseTap.bytes);
    if (failure !== undefined) error = failure;
    if (masker !== null) session.countMasked(masker.maskedByRule());
    record();
  };
  if (bodyless) {
    answerData.body.resume();
    response.writeHead(status, outHeaders);
    response.end();
    return record();
  }
  const length = Number(outHeaders['content-length'] ?? Number.NaN);
  if (Number.isSafeInteger(length) && length <= WHOLE_BODY_BYTES && coding === 'identity') {
    // A small answer is read whole and written with its head in one write: the stream stages
    // (pipeline, a masking Transform, the tap) cost more per call than the bytes do.
    const read = await readWhole(answerData.body);
    if (read instanceof Error) {
      response.destroy();
      return finish(describeError(read));
    }
    let body = read;
    if (masker !== null) {
      try {
        body = new JsonMaskingStream(masker, settings.maxMaskedValueBytes).maskWhole(read);
      } catch (failure) {
        // Headers are not sent yet: the caller learns why instead of a cut answer (fail closed).
        return answer({
          status: 502,
          slug: 'unmaskable-answer',
          title: 'The answer must be masked but is not valid JSON',
          detail: describeError(failure),
        });
      }
      outHeaders['content-length'] = String(body.length);
    }
    responseTap.observe(body);
    response.writeHead(status, outHeaders);
    response.end(body);
    return finish();
  }
  let stages: Duplex[] = [];
  if (masker !== null) {
    const coder = codingStreams(coding);
    const maskStream = new JsonMaskingStream(masker, settings.maxMaskedValueBytes);
    stages = coder ? [coder.decode, maskStream, coder.encode] : [maskStream];
    delete outHeaders['content-length'];
  }
  response.writeHead(status, outHeaders);
  await new Promise<void>((resolve) => {
    const streams = [answerData.body, ...stages, responseTap, response] as unknown as [Readable, ...Duplex[]];
    pipeline(streams, (failure) => {
      if (failure) response.destroy();
      finish(failure ? describeError(failure) : undefined);
      resolve();
    });
  });
}

/**
 * What undici accepts as a request's signal (an EventEmitter with `aborted` and `reason`), without
 * an AbortController's EventTarget machinery.
 */
export class CallAbort extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}

/** Answers up to this size (by Content-Length) are read whole and sent in one write. */
const WHOLE_BODY_BYTES = 64 * 1024;

/** The whole body of a small answer, or the error that cut it. */
async function readWhole(body: Dispatcher.ResponseData['body']): Promise<Buffer | Error> {
  try {
    const bytes = await body.bytes();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (failure) {
    return failure instanceof Error ? failure : new Error(String(failure));
  }
}

function bodies(requestTap: BodyTap, responseTap: BodyTap) {
  const req = requestTap.recorded();
  const res = responseTap.recorded();
  const base64 = (req?.base64 ?? false) || (res?.base64 ?? false);
  return {
    ...(req ? { requestBody: base64 && !req.base64 ? Buffer.from(req.text).toString('base64') : req.text } : {}),
    ...(res ? { responseBody: base64 && !res.base64 ? Buffer.from(res.text).toString('base64') : res.text } : {}),
    ...(base64 ? { base64: true } : {}),
    ...(requestTap.truncated || responseTap.truncated ? { truncated: true } : {}),
  };
}

export async function forwardUpgrade(
  session: HttpSession,
  bound: Bound,
  target: string,
  headers: IncomingHttpHeaders,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const { context, settings } = session;
  const id = session.nextCallId();
  const started = performance.now();
  const method = request.method ?? 'GET';
  const prepared = prepare(bound, target, method, headers, String(request.headers.upgrade ?? ''));
  if ('status' in prepared) return writeRawProblem(socket, prepared);
  const refused = await checkRules(session, bound, prepared.text, id);
  if (refused !== null) return writeRawProblem(socket, refused);
  const protocol = String(request.headers.upgrade ?? 'websocket');
  const outHeaders = await upstreamHeaders(session, bound, headers);
  let upgraded;
  try {
    upgraded = await upgradeUpstream(bound.pool, {
      method,
      path: withInjectedQuery(bound, joinPath(bound.settings.url, prepared.forwardTarget)),
      headers: outHeaders,
      protocol,
      signal: context.signal,
    });
  } catch (failure) {
    context.logger.info({ call: id, err: describeError(failure) }, 'http upgrade refused upstream');
    return writeRawProblem(socket, { status: 502, slug: 'upstream-failed', title: 'The upstream refused the upgrade' });
  }
  socket.write(switchingProtocols(upgraded.headers as Record<string, string | string[]>));
  if (head.length > 0) upgraded.socket.write(head);
  const result = await pipeUpgraded(socket, upgraded.socket, {
    signal: context.signal,
    maxBytes: settings.maxUpgradeBytes,
  });
  session.countFromTarget(result.bytesFromUpstream);
  context.record('http.upgrade', {
    id,
    path: prepared.forwardTarget,
    protocol,
    durationMs: Math.round(performance.now() - started),
    bytesFromClient: result.bytesFromClient,
    bytesFromTarget: result.bytesFromUpstream,
    endedBy: result.endedBy,
  });
}
