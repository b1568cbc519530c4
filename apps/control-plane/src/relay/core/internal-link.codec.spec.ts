import { describe, expect, test } from '@jest/globals';
import { linkMac, macMatches, newNonce } from './internal-link-auth.js';
import { LinkFrameReader, LinkProtocolError, encodeLinkMessage, type LinkMessage } from './internal-link.codec.js';

const messages: LinkMessage[] = [
  { t: 'challenge', nonce: 'ab'.repeat(32) },
  { t: 'auth', nonce: 'cd'.repeat(32), mac: 'ef'.repeat(32) },
  { t: 'relay', protocol: 'postgres', agentId: 'a1', connectionId: 'c1', clientAddress: '10.0.0.1:5555' },
  { t: 'data', agentId: 'a1', tunnelId: '7d3c1f0e-0b7a-4c55-9a51-3f7e8f0a1b2c', ticket: 'ab'.repeat(32) },
  { t: 'ready' },
];

describe('internal link frames', () => {
  test('every split point yields the same messages, and raw bytes after the last one stay raw', () => {
    const raw = Buffer.from([0, 0, 0, 8, 0xff, 0xfe]);
    const bytes = Buffer.concat([...messages.map(encodeLinkMessage), raw]);
    for (let split = 0; split <= bytes.length; split++) {
      const reader = new LinkFrameReader();
      const isLast = (m: LinkMessage) => m.t === 'ready';
      const got = [...reader.push(bytes.subarray(0, split), isLast)];
      const unread = got.some(isLast) ? bytes.subarray(split) : Buffer.alloc(0);
      if (!got.some(isLast)) got.push(...reader.push(bytes.subarray(split), isLast));
      expect(got).toEqual(messages);
      expect(Buffer.concat([reader.rest(), unread])).toEqual(raw);
    }
  });

  test('oversized, non-JSON and malformed frames are refused', () => {
    expect(() => new LinkFrameReader().push(Buffer.from([0, 1, 0, 0]))).toThrow(LinkProtocolError);
    expect(() => new LinkFrameReader().push(Buffer.from([0, 0, 0, 1, 0x7b]))).toThrow(LinkProtocolError);
    const wrong = Buffer.from(JSON.stringify({ t: 'auth', nonce: 'zz', mac: 1 }));
    const frame = Buffer.concat([Buffer.from([0, 0, 0, wrong.length]), wrong]);
    expect(() => new LinkFrameReader().push(frame)).toThrow(LinkProtocolError);
  });
});

describe('internal link proofs', () => {
  const secret = Buffer.from('s'.repeat(32));
  const [server, client] = [newNonce(), newNonce()];
  const binding = Buffer.from('channel');

  test('a proof verifies only with the same secret, nonces, role and channel', () => {
    const mac = linkMac(secret, 'client', server, client, binding);
    expect(macMatches(linkMac(secret, 'client', server, client, binding), mac)).toBe(true);
    expect(macMatches(linkMac(Buffer.from('t'.repeat(32)), 'client', server, client, binding), mac)).toBe(false);
    expect(macMatches(linkMac(secret, 'server', server, client, binding), mac)).toBe(false);
    expect(macMatches(linkMac(secret, 'client', newNonce(), client, binding), mac)).toBe(false);
    expect(macMatches(linkMac(secret, 'client', server, client, Buffer.from('other')), mac)).toBe(false);
  });

  test('malformed proofs fail closed', () => {
    const mac = linkMac(secret, 'client', server, client, binding);
    expect(macMatches(mac, '')).toBe(false);
    expect(macMatches(mac, mac.slice(0, 62))).toBe(false);
    expect(macMatches(mac, 'zz'.repeat(32))).toBe(false);
  });
});
