/**
 * The relay data connection's opening, shared by the agent (which dials and writes it) and the
 * control plane (which reads it on its data port). Pure: bytes in, values out, and back.
 *
 *   agent → control plane   4-byte big-endian length, then UTF-8 JSON
 *                           { "v": 1, "tunnelId": uuid, "ticket": hex(32 bytes), "credential": agent credential }
 *   then raw client bytes both ways
 *
 * There is no acknowledgement (it would cost a round trip per session): the agent serves the
 * connection at once, and a refused opening is closed by the control plane without a word (fail
 * closed) — to the agent's engine that is a client leaving before its startup.
 */
export interface DataHello {
  tunnelId: string;
  ticket: Buffer;
  credential: string;
}

export const DATA_HELLO_VERSION = 1;
export const RELAY_TICKET_BYTES = 32;
export const MAX_DATA_HELLO_BYTES = 4096;

export class DataHelloError extends Error {}

const TUNNEL_ID = /^[0-9a-f-]{36}$/;
const HEX_TICKET = new RegExp(`^[0-9a-f]{${RELAY_TICKET_BYTES * 2}}$`);

export function encodeDataHello(hello: DataHello): Buffer {
  const body = Buffer.from(
    JSON.stringify({
      v: DATA_HELLO_VERSION,
      tunnelId: hello.tunnelId,
      ticket: hello.ticket.toString('hex'),
      credential: hello.credential,
    }),
    'utf8',
  );
  if (body.length > MAX_DATA_HELLO_BYTES) throw new DataHelloError('relay data hello too large');
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/**
 * Reads the hello from the bytes received so far: undefined while incomplete, else the hello and
 * the bytes after it. Throws DataHelloError on anything malformed (the edge: validated here).
 */
export function readDataHello(buffered: Buffer): { hello: DataHello; rest: Buffer } | undefined {
  if (buffered.length < 4) return undefined;
  const length = buffered.readUInt32BE(0);
  if (length > MAX_DATA_HELLO_BYTES) throw new DataHelloError('relay data hello too large');
  if (buffered.length < 4 + length) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(buffered.subarray(4, 4 + length).toString('utf8'));
  } catch {
    throw new DataHelloError('relay data hello is not JSON');
  }
  const m = value as Record<string, unknown> | null;
  if (
    !m ||
    typeof m !== 'object' ||
    m['v'] !== DATA_HELLO_VERSION ||
    typeof m['tunnelId'] !== 'string' ||
    !TUNNEL_ID.test(m['tunnelId']) ||
    typeof m['ticket'] !== 'string' ||
    !HEX_TICKET.test(m['ticket']) ||
    typeof m['credential'] !== 'string' ||
    m['credential'].length > 512
  ) {
    throw new DataHelloError('malformed relay data hello');
  }
  return {
    hello: { tunnelId: m['tunnelId'], ticket: Buffer.from(m['ticket'], 'hex'), credential: m['credential'] },
    rest: buffered.subarray(4 + length),
  };
}
