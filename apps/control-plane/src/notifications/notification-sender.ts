import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { CONTROL_PLANE_VERSION } from '../version.js';
import { literalAddress, refusedAddress } from './notification-address.js';
import type { AttemptResult } from './notification.types.js';

/** How long one attempt may take, connection and response included. */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** Response bytes read (and dropped) before the connection is released. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface SendOptions {
  /** POSTERN_NOTIFICATIONS_ALLOW_PRIVATE_NETWORKS. */
  allowPrivate: boolean;
  timeoutMs?: number;
}

/**
 * POSTs a notification once. A 2xx answer is a success; anything else — another status, a
 * redirect (never followed: the endpoint's URL is what admins approved), a network error, the
 * timeout, an address the policy refuses (notification-address.ts) — is a failure. The result's
 * `error` is the detailed reason, for the log; it never contains the URL (Slack URLs are secrets).
 * The host name is resolved here and the connection made to the address that was checked.
 */
export function postNotification(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: SendOptions,
): Promise<AttemptResult> {
  const timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
  const target = new URL(url);
  const literal = literalAddress(target.hostname);
  const refused = literal === null ? null : refusedAddress(literal, options.allowPrivate);
  if (refused) return Promise.resolve({ ok: false, statusCode: null, error: `address refused: ${refused}` });
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const outgoing = request(target, {
      method: 'POST',
      lookup: checkedLookup(options.allowPrivate),
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': `Postern-Notifications/${CONTROL_PLANE_VERSION}`,
        ...headers,
      },
    });
    const timer = setTimeout(() => {
      settle({ ok: false, statusCode: null, error: `timed out after ${timeoutMs / 1000} s` });
      outgoing.destroy();
    }, timeoutMs);
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      const reason = error.message.startsWith('address refused')
        ? error.message
        : `connection failed: ${error.code ?? error.message}`;
      settle({ ok: false, statusCode: null, error: reason });
    });
    outgoing.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      drain(response, () => {
        outgoing.destroy();
        if (status >= 200 && status < 300) return settle({ ok: true, statusCode: status, error: null });
        const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
        settle({ ok: false, statusCode: status, error: `HTTP ${status}${redirect}` });
      });
    });
    outgoing.end(body);
  });
}

/** dns.lookup, refusing when any address of the name is one notifications may not reach. */
function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refusal = addresses.map((a) => refusedAddress(a.address, allowPrivate)).find((r) => r !== null);
      if (refusal || addresses.length === 0) {
        return callback(new Error(`address refused: ${refusal ?? 'the name has no address'}`), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function drain(response: IncomingMessage, done: () => void): void {
  let read = 0;
  response.on('data', (chunk: Buffer) => {
    read += chunk.length;
    if (read >= MAX_RESPONSE_BYTES) done();
  });
  response.on('end', done);
  response.on('error', done);
  response.on('aborted', done);
}

/** Resolves `url`'s host and tells why notifications may not go there (null: they may). */
export async function endpointAddressRefusal(url: URL, allowPrivate: boolean): Promise<string | null> {
  const literal = literalAddress(url.hostname);
  if (literal !== null) return refusedAddress(literal, allowPrivate);
  const addresses = await new Promise<LookupAddress[]>((resolve) =>
    dnsLookup(url.hostname, { all: true }, (error, found) => resolve(error ? [] : found)),
  );
  // A name that does not resolve from here is checked again at every delivery.
  return addresses.map((a) => refusedAddress(a.address, allowPrivate)).find((r) => r !== null) ?? null;
}
