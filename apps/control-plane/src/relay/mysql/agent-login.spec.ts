import { afterEach, describe, expect, test } from '@jest/globals';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  AuthPlugin,
  Capability,
  decodeHandshakeResponse41,
  encodeAuthSwitchRequest,
  encodeErr,
  encodeHandshakeV10,
  encodeOk,
  GATEWAY_CAPABILITIES,
  gatewayGreeting,
  leadingPacket,
  packet,
  type HandshakeResponse41,
} from '@postern/wire-mysql';
import { loginToAgent } from './agent-login.js';

/** What a client (mysql2 here) sent the relay, over TLS. */
const CLIENT: HandshakeResponse41 = {
  capabilityFlags: (GATEWAY_CAPABILITIES | Capability.SSL | Capability.QUERY_ATTRIBUTES | Capability.LOCAL_FILES) >>> 0,
  mariaDbCapabilityFlags: 0,
  maxPacketSize: 1 << 24,
  characterSet: 224,
  username: 'dana@example.com',
  authResponse: Buffer.alloc(20, 7),
  database: 'shop-mysql',
  authPluginName: AuthPlugin.NATIVE_PASSWORD,
  attributes: [['_client_name', 'mysql2']],
};
const SESSION = { flags: (GATEWAY_CAPABILITIES & ~Capability.SSL) >>> 0, mariaDbFlags: 0 };

let server: Server | undefined;
afterEach(() => void server?.close());

/**
 * A scripted engine on a real socket: `script` gets each packet the relay sends and answers it.
 * Resolves with the relay's side of the connection.
 */
async function engine(
  greeting: Buffer,
  script: (payload: Buffer, sequenceId: number, socket: Socket) => void,
): Promise<Socket> {
  server = createServer((socket) => {
    let held = Buffer.alloc(0);
    socket.write(greeting);
    socket.on('data', (chunk: Buffer) => {
      held = Buffer.concat([held, chunk]);
      for (let next = leadingPacket(held, 1 << 20); next; next = leadingPacket(held, 1 << 20)) {
        held = held.subarray(next.length);
        script(next.payload, next.sequenceId, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

const greeting = (flags = GATEWAY_CAPABILITIES) => packet(encodeHandshakeV10(gatewayGreeting(flags, 42)), 0);

describe('the relay logs in to the agent engine for the client', () => {
  test("the client's handshake, with the clear password and without what the engine does not offer; OK and what follows", async () => {
    const seen: HandshakeResponse41[] = [];
    const upstream = await engine(greeting(), (payload, sequenceId, socket) => {
      seen.push(decodeHandshakeResponse41(payload));
      expect(sequenceId).toBe(1);
      socket.write(Buffer.concat([packet(encodeOk({}, SESSION), 2), Buffer.from('early')]));
    });
    const result = await loginToAgent(upstream, { response: CLIENT, password: 'postern_conn_secret' });
    expect(result.type).toBe('ok');
    if (result.type === 'ok') expect(result.rest.toString()).toBe('early');
    const [response] = seen;
    expect(response).toMatchObject({
      username: 'dana@example.com',
      database: 'shop-mysql',
      authPluginName: AuthPlugin.CLEAR_PASSWORD,
      characterSet: 224,
      attributes: [['_client_name', 'mysql2']],
    });
    expect(response!.authResponse).toEqual(Buffer.from('postern_conn_secret\0'));
    expect(response!.capabilityFlags & (Capability.SSL | Capability.QUERY_ATTRIBUTES | Capability.LOCAL_FILES)).toBe(0);
    expect(response!.capabilityFlags & Capability.DEPRECATE_EOF).toBe(Capability.DEPRECATE_EOF);
    upstream.destroy();
  });

  test('attributes that would not fit beside a long credential are left out, the login goes on', async () => {
    const seen: HandshakeResponse41[] = [];
    const upstream = await engine(greeting(), (payload, _seq, socket) => {
      seen.push(decodeHandshakeResponse41(payload));
      socket.write(packet(encodeOk({}, SESSION), 2));
    });
    const bulky = { ...CLIENT, attributes: [['padding', 'x'.repeat(50_000)]] as [string, string][] };
    const token = 't'.repeat(15_000);
    expect((await loginToAgent(upstream, { response: bulky, password: token })).type).toBe('ok');
    expect(seen[0]!.attributes ?? []).toEqual([]);
    expect(seen[0]!.authResponse.length).toBe(15_001);
    upstream.destroy();
  });

  test("the engine's refusal, before or after the greeting, is handed back as its ERR", async () => {
    const err = encodeErr({ code: 1045, sqlState: '28000', message: "Access denied for user 'dana'" });
    const afterGreeting = await engine(greeting(), (_payload, _seq, socket) => socket.write(packet(err, 2)));
    expect(await loginToAgent(afterGreeting, { response: CLIENT, password: 'x' })).toEqual({
      type: 'err',
      payload: err,
    });
    afterGreeting.destroy();
    server!.close();
    const busy = encodeErr({ code: 1040, sqlState: '08004', message: 'Too many connections' });
    const beforeGreeting = await engine(packet(busy, 0), () => undefined);
    expect(await loginToAgent(beforeGreeting, { response: CLIENT, password: 'x' })).toEqual({
      type: 'err',
      payload: busy,
    });
    beforeGreeting.destroy();
  });

  test('an engine asking again for the clear password gets it once; any other plugin is refused', async () => {
    let asked = 0;
    const upstream = await engine(greeting(), (payload, sequenceId, socket) => {
      if (asked++ === 0) {
        socket.write(
          packet(encodeAuthSwitchRequest({ pluginName: AuthPlugin.CLEAR_PASSWORD, pluginData: Buffer.of(0) }), 2),
        );
        return;
      }
      expect(sequenceId).toBe(3);
      expect(payload).toEqual(Buffer.from('pw\0'));
      socket.write(packet(encodeOk({}, SESSION), 4));
    });
    expect((await loginToAgent(upstream, { response: CLIENT, password: 'pw' })).type).toBe('ok');
    upstream.destroy();
    server!.close();
    const native = await engine(greeting(), (_payload, _seq, socket) =>
      socket.write(
        packet(encodeAuthSwitchRequest({ pluginName: AuthPlugin.NATIVE_PASSWORD, pluginData: Buffer.alloc(21) }), 2),
      ),
    );
    await expect(loginToAgent(native, { response: CLIENT, password: 'pw' })).rejects.toThrow(/mysql_native_password/);
    native.destroy();
  });

  test('an engine offering less than the client settled on is refused (fail closed), as is one that hangs up', async () => {
    const older = await engine(greeting((GATEWAY_CAPABILITIES & ~Capability.DEPRECATE_EOF) >>> 0), () => undefined);
    await expect(loginToAgent(older, { response: CLIENT, password: 'pw' })).rejects.toThrow(/lacks capabilities/);
    older.destroy();
    server!.close();
    const gone = await engine(greeting(), (_payload, _seq, socket) => socket.destroy());
    await expect(loginToAgent(gone, { response: CLIENT, password: 'pw' })).rejects.toThrow(/closed/);
  });
});
