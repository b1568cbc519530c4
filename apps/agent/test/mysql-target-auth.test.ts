// The agent's login to a MySQL 8 style target with caching_sha2_password, which MariaDB cannot
// be: a scripted server built from wire-mysql's encoders checks the scramble (fast auth), or asks
// for full authentication and reads the password RSA-wrapped with its own key, as MySQL 8 does.
import { constants, createHash, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  AuthPlugin,
  CachingSha2,
  cachingSha2Password,
  Capability,
  decodeHandshakeResponse41,
  encodeAuthMoreData,
  encodeHandshakeV10,
  encodeOk,
  packet,
  PacketReader,
  ServerStatus,
  type Message,
} from '@postern/wire-mysql';
import { selfSignedCertificate, type CertificateFiles } from '@postern/testing';
import { connectThrough, MysqlTestGateway } from './mysql-harness.js';

const PASSWORD = 'sha2-target-secret';
const FLAGS =
  (Capability.LONG_PASSWORD |
    Capability.LONG_FLAG |
    Capability.CONNECT_WITH_DB |
    Capability.PROTOCOL_41 |
    Capability.TRANSACTIONS |
    Capability.SECURE_CONNECTION |
    Capability.MULTI_STATEMENTS |
    Capability.MULTI_RESULTS |
    Capability.PS_MULTI_RESULTS |
    Capability.PLUGIN_AUTH |
    Capability.CONNECT_ATTRS |
    Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA |
    Capability.SESSION_TRACK |
    Capability.DEPRECATE_EOF) >>>
  0;

/** A MySQL 8 stand-in: caching_sha2_password login (fast or full auth), then OK to every command. */
class Sha2Server {
  readonly logins: ('fast' | 'full-rsa' | 'full-tls')[] = [];
  /** Every byte the agent sent, to check the password never crossed in clear. */
  readonly received: Buffer[] = [];
  private readonly keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly server: Server;

  constructor(
    private readonly cached: boolean,
    private readonly tls: { key: string; cert: string } | null = null,
  ) {
    this.server = createServer((socket) => this.serve(socket));
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private serve(plain: Socket): void {
    const nonce = Buffer.from(randomBytes(20).map((b) => (b % 94) + 33));
    let socket: Socket = plain;
    let reader = new PacketReader();
    let step: 'response' | 'full' | 'key' | 'commands' = 'response';
    const ok = (sequenceId: number) =>
      socket.write(packet(encodeOk({ statusFlags: ServerStatus.AUTOCOMMIT }, { flags: FLAGS }), sequenceId));
    const onData = (chunk: Buffer): void => {
      this.received.push(chunk);
      if (this.tls !== null && socket === plain && chunk.length >= 36 && chunk.readUIntLE(0, 3) === 32) {
        // SSLRequest: the rest is inside TLS (the ClientHello may share the chunk).
        plain.off('data', onData);
        plain.pause();
        if (chunk.length > 36) plain.unshift(chunk.subarray(36));
        socket = new TLSSocket(plain, { isServer: true, ...this.tls });
        socket.on('error', () => undefined);
        socket.on('data', onData);
        reader = new PacketReader();
        return;
      }
      reader.parse(chunk, (message: Message) => {
        const next = (message.lastSequenceId + 1) & 0xff;
        if (step === 'response') {
          const response = decodeHandshakeResponse41(message.payload);
          expect(response.authPluginName).toBe(AuthPlugin.CACHING_SHA2_PASSWORD);
          const good = response.authResponse.equals(cachingSha2Password(PASSWORD, nonce));
          if (good && this.cached) {
            this.logins.push('fast');
            socket.write(packet(encodeAuthMoreData(Buffer.of(CachingSha2.FAST_AUTH_SUCCESS)), next));
            ok(next + 1);
            step = 'commands';
          } else {
            socket.write(packet(encodeAuthMoreData(Buffer.of(CachingSha2.PERFORM_FULL_AUTHENTICATION)), next));
            step = 'full';
          }
        } else if (step === 'full' && socket !== plain) {
          // Over TLS the client sends the password in clear.
          if (message.payload.equals(Buffer.from(`${PASSWORD}\0`))) {
            this.logins.push('full-tls');
            ok(next);
            step = 'commands';
          } else {
            socket.destroy();
          }
        } else if (step === 'full') {
          expect(message.payload).toEqual(Buffer.of(CachingSha2.REQUEST_PUBLIC_KEY));
          const pem = this.keys.publicKey.export({ type: 'spki', format: 'pem' });
          socket.write(packet(encodeAuthMoreData(Buffer.from(pem)), next));
          step = 'key';
        } else if (step === 'key') {
          const plainText = privateDecrypt(
            { key: this.keys.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
            message.payload,
          );
          const password = Buffer.from(plainText.map((b, i) => b ^ nonce[i % nonce.length]!));
          if (password.equals(Buffer.from(`${PASSWORD}\0`))) {
            this.logins.push('full-rsa');
            ok(next);
            step = 'commands';
          } else {
            socket.destroy();
          }
        } else if (message.payload.toString('latin1').includes('garbage')) {
          // A result set whose column definition is nonsense.
          socket.write(Buffer.concat([packet(Buffer.of(1), next), packet(Buffer.from('nonsense'), next + 1)]));
        } else {
          ok(next);
        }
      });
    };
    plain.on('error', () => undefined);
    plain.on('data', onData);
    const greeting = encodeHandshakeV10({
      serverVersion: '8.0.36',
      connectionId: 7,
      authPluginData: Buffer.concat([nonce, Buffer.of(0)]),
      capabilityFlags: this.tls === null ? FLAGS : (FLAGS | Capability.SSL) >>> 0,
      mariaDbCapabilityFlags: 0,
      characterSet: 255,
      statusFlags: ServerStatus.AUTOCOMMIT,
      authPluginName: AuthPlugin.CACHING_SHA2_PASSWORD,
    });
    plain.write(packet(greeting, 0));
  }
}

const servers = { fast: new Sha2Server(true), full: new Sha2Server(false), tls: null as Sha2Server | null };
let certificate: CertificateFiles;
let gateway: MysqlTestGateway;
let refusing: MysqlTestGateway;

beforeAll(async () => {
  certificate = await selfSignedCertificate(['localhost']);
  servers.tls = new Sha2Server(false, { key: readFileSync(certificate.keyFile, 'utf8'), cert: certificate.cert });
  const [fastPort, fullPort, tlsPort] = await Promise.all([
    servers.fast.start(),
    servers.full.start(),
    servers.tls.start(),
  ]);
  const spec = { host: '127.0.0.1', database: 'app', user: 'app', password: PASSWORD, tlsMode: 'disable' as const };
  const connections = {
    fast: { ...spec, port: fastPort },
    full: { ...spec, port: fullPort },
    tls: { ...spec, port: tlsPort, tlsMode: 'verify-full' as const, ca: certificate.cert },
  };
  gateway = await MysqlTestGateway.start({ connections });
  refusing = await MysqlTestGateway.start({ connections, refusePlainPasswords: true });
});

afterAll(async () => {
  await Promise.all([gateway?.stop(), refusing?.stop()]);
  await Promise.all([servers.fast.stop(), servers.full.stop(), servers.tls?.stop()]);
  if (certificate) rmSync(certificate.dir, { recursive: true, force: true });
});

describe('caching_sha2_password targets', () => {
  test('fast authentication with the scramble', async () => {
    const connection = await connectThrough(gateway.port, 'fast');
    await connection.ping();
    await connection.end();
    expect(servers.fast.logins[0]).toBe('fast');
  });

  test('full authentication without TLS: the password RSA-wrapped with the server key', async () => {
    const connection = await connectThrough(gateway.port, 'full');
    await connection.ping();
    await connection.end();
    expect(servers.full.logins).toEqual(['full-rsa']);
    const sent = Buffer.concat(servers.full.received);
    expect(sent.includes(Buffer.from(PASSWORD))).toBe(false);
    expect(sent.includes(createHash('sha256').update(PASSWORD).digest())).toBe(false);
  });

  test('full authentication over verified TLS: the password in clear inside TLS', async () => {
    const connection = await connectThrough(gateway.port, 'tls');
    await connection.ping();
    await connection.end();
    // 'full-tls' is only reached inside the TLS session the agent opened with the SSLRequest.
    expect(servers.tls!.logins).toEqual(['full-tls']);
  });

  test('a target packet that does not fit its response ends the session with 1184', async () => {
    const connection = await connectThrough(gateway.port, 'fast');
    await expect(connection.query('SELECT garbage')).rejects.toMatchObject({
      errno: 1184,
      message: 'invalid packet from the target server',
    });
    connection.destroy();
  });

  test('an agent whose allow-list forbids plain passwords to the target refuses full authentication over plaintext', async () => {
    await expect(connectThrough(refusing.port, 'full')).rejects.toMatchObject({ errno: 1184 });
    expect(servers.full.logins).toEqual(['full-rsa']);
  });
});
