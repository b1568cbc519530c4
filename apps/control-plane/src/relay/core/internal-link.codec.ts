/**
 * The replicas' internal link, before it turns into a raw byte pipe: length-prefixed JSON frames
 * (4-byte big-endian length, then UTF-8 JSON). Pure: bytes in, messages out, and back.
 *
 *   server → client  challenge { nonce }
 *   client → server  auth      { nonce, mac }           proves the shared secret
 *   server → client  proof     { mac }                  proves it back (the client checks it first)
 *   client → server  relay     { protocol, agentId, connectionId, clientAddress }
 *                 or cancel    { protocol, agentId, connectionId, clientAddress, packet (base64) }
 *                 or data      { agentId, tunnelId, ticket (hex) }   an agent's relay data connection
 *                              that reached this replica for a tunnel another one asked for
 *   server → client  ready {}  or  refused { kind, message }
 *
 * After `ready` to a relay, both directions carry the client's raw bytes; the receiving replica's
 * front door for `protocol` adopts the client. `cancel` is a front door's out-of-band signal
 * (PostgreSQL's CancelRequest). A frame without `protocol` (a replica of the previous version)
 * means `postgres`.
 */
import type { RefusalKind } from './front-door.js';

/** The requests a link carries after authentication (one per connection). */
export const isLinkRequest = (m: { t: string }): boolean => m.t === 'relay' || m.t === 'cancel' || m.t === 'data';

export type LinkMessage =
  | { t: 'challenge'; nonce: string }
  | { t: 'auth'; nonce: string; mac: string }
  | { t: 'proof'; mac: string }
  | { t: 'relay'; protocol: string; agentId: string; connectionId: string; clientAddress: string }
  | { t: 'cancel'; protocol: string; agentId: string; connectionId: string; clientAddress: string; packet: string }
  | { t: 'data'; agentId: string; tunnelId: string; ticket: string }
  | { t: 'ready' }
  | { t: 'refused'; kind: RefusalKind; message: string };

export const MAX_LINK_FRAME = 16 * 1024;

export class LinkProtocolError extends Error {}

export function encodeLinkMessage(message: LinkMessage): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > MAX_LINK_FRAME) throw new LinkProtocolError('internal link frame too large');
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

const PROTOCOL = /^[a-z][a-z0-9-]*$/;
const REFUSAL_KINDS = new Set<RefusalKind>(['busy', 'auth_failed', 'no_access', 'unavailable']);
const HEX = /^[0-9a-f]{1,128}$/;
const TEXT = (value: unknown, max: number): value is string => typeof value === 'string' && value.length <= max;

/** Validates a decoded frame into a LinkMessage (the edge: nothing unchecked goes further). */
export function toLinkMessage(value: unknown): LinkMessage {
  const m = value as Record<string, unknown> | null;
  if (!m || typeof m !== 'object') throw new LinkProtocolError('internal link frame is not an object');
  switch (m['t']) {
    case 'challenge':
      if (TEXT(m['nonce'], 128) && HEX.test(m['nonce'])) return { t: 'challenge', nonce: m['nonce'] };
      break;
    case 'auth':
      if (TEXT(m['nonce'], 128) && HEX.test(m['nonce']) && TEXT(m['mac'], 128) && HEX.test(m['mac']))
        return { t: 'auth', nonce: m['nonce'], mac: m['mac'] };
      break;
    case 'proof':
      if (TEXT(m['mac'], 128) && HEX.test(m['mac'])) return { t: 'proof', mac: m['mac'] };
      break;
    case 'relay':
    case 'cancel': {
      const { agentId, connectionId, clientAddress } = m;
      const protocol = m['protocol'] ?? 'postgres';
      if (!TEXT(agentId, 64) || !TEXT(connectionId, 64) || !TEXT(clientAddress, 128)) break;
      if (!TEXT(protocol, 32) || !PROTOCOL.test(protocol)) break;
      if (m['t'] === 'relay') return { t: 'relay', protocol, agentId, connectionId, clientAddress };
      if (TEXT(m['packet'], 64))
        return { t: 'cancel', protocol, agentId, connectionId, clientAddress, packet: m['packet'] };
      break;
    }
    case 'data': {
      const { agentId, tunnelId, ticket } = m;
      if (TEXT(agentId, 64) && TEXT(tunnelId, 36) && TEXT(ticket, 64) && HEX.test(ticket))
        return { t: 'data', agentId, tunnelId, ticket };
      break;
    }
    case 'ready':
      return { t: 'ready' };
    case 'refused':
      if (TEXT(m['kind'], 16) && REFUSAL_KINDS.has(m['kind'] as RefusalKind) && TEXT(m['message'], 512))
        return { t: 'refused', kind: m['kind'] as RefusalKind, message: m['message'] };
      break;
  }
  throw new LinkProtocolError('malformed internal link frame');
}

/**
 * Reassembles frames from chunks at any boundary. `push` returns the complete messages; bytes
 * after the last complete frame stay buffered and are handed back by `rest()` when the link
 * switches to raw bytes.
 */
export class LinkFrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  /**
   * Parses what is complete. With `isLast`, parsing stops after the first message it accepts:
   * what follows is raw bytes, left for `rest()`.
   */
  push(chunk: Buffer, isLast?: (message: LinkMessage) => boolean): LinkMessage[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: LinkMessage[] = [];
    let offset = 0;
    while (this.buffered.length - offset >= 4) {
      const length = this.buffered.readUInt32BE(offset);
      if (length > MAX_LINK_FRAME) throw new LinkProtocolError('internal link frame too large');
      if (this.buffered.length - offset - 4 < length) break;
      const body = this.buffered.subarray(offset + 4, offset + 4 + length);
      offset += 4 + length;
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw new LinkProtocolError('internal link frame is not JSON');
      }
      const message = toLinkMessage(parsed);
      messages.push(message);
      if (isLast?.(message)) break;
    }
    this.buffered = this.buffered.subarray(offset);
    return messages;
  }

  rest(): Buffer {
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return rest;
  }
}
