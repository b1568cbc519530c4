import { describe, expect, test } from '@jest/globals';
import {
  Capability,
  decodeHandshakeV10,
  encodeHandshakeV10,
  GATEWAY_CAPABILITIES,
  gatewayGreeting,
  leadingPacket,
  MySqlProtocolError,
  packet,
  scrambleOf,
} from './index.js';

describe('leadingPacket: one packet at a time, the rest untouched', () => {
  const bytes = Buffer.concat([packet(Buffer.from('first'), 1), Buffer.from([0x16, 0x03, 0x01])]);

  test('null until the whole packet is there, wherever the bytes stop', () => {
    for (let end = 0; end < 9; end++) expect(leadingPacket(bytes.subarray(0, end), 1024)).toBeNull();
    const first = leadingPacket(bytes, 1024)!;
    expect(first.sequenceId).toBe(1);
    expect(first.payload.toString()).toBe('first');
    // What follows (here a TLS record's first bytes) is left for the caller to hand on.
    expect(bytes.subarray(first.length)).toEqual(Buffer.from([0x16, 0x03, 0x01]));
  });

  test('a packet at the limit is refused from its header, before its body arrives', () => {
    const header = Buffer.from([0x00, 0x04, 0x00, 0]);
    expect(() => leadingPacket(header, 1024)).toThrow(MySqlProtocolError);
    expect(() => leadingPacket(Buffer.from('GET / HTTP/1.1'), 64 * 1024)).toThrow(/MESSAGE_TOO_LARGE|packet/);
    expect(leadingPacket(packet(Buffer.alloc(1023), 0), 1024)?.payload.length).toBe(1023);
  });
});

describe("Postern's greeting", () => {
  test('round-trips with the capabilities asked for and a printable 20-byte nonce', () => {
    const withTls = (GATEWAY_CAPABILITIES | Capability.SSL) >>> 0;
    const greeting = decodeHandshakeV10(encodeHandshakeV10(gatewayGreeting(withTls, 7)));
    expect(greeting.capabilityFlags).toBe(withTls);
    expect(greeting.connectionId).toBe(7);
    const nonce = scrambleOf(greeting.authPluginData);
    expect(nonce.length).toBe(20);
    expect([...nonce].every((byte) => byte > 32 && byte < 127)).toBe(true);
    expect(gatewayGreeting(withTls, 7).authPluginData).not.toEqual(gatewayGreeting(withTls, 7).authPluginData);
  });

  test('offers none of what the engine does not follow', () => {
    for (const flag of [
      Capability.COMPRESS,
      Capability.LOCAL_FILES,
      Capability.QUERY_ATTRIBUTES,
      Capability.OPTIONAL_RESULTSET_METADATA,
      Capability.IGNORE_SPACE,
      Capability.SSL,
    ]) {
      expect(GATEWAY_CAPABILITIES & flag).toBe(0);
    }
  });
});
