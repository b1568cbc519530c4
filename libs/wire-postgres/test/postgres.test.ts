// Against the machine's real PostgreSQL (127.0.0.1:5432, trust auth): drive a session with the
// library's serializers, frame and decode the server's real bytes, then replay those bytes
// split at every offset, and check the serializers re-create each server packet exactly.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  BackendParser,
  type BackendMessage,
  decodeBackend,
  decodeFrontend,
  encodeBackend,
  encodeFrontend,
  type Frame,
  frontend,
  FrontendParser,
  md5PasswordHash,
  scramKeys,
} from '../src/index.js';

const HOST = process.env.PGHOST_TCP ?? '127.0.0.1';
const PORT = Number(process.env.PGPORT ?? 5432);

/** A minimal client: our serializers out, BackendParser in, every byte recorded. */
class Client {
  readonly serverChunks: Buffer[] = [];
  readonly clientChunks: Buffer[] = [];
  readonly parser = new BackendParser();
  private frames: Frame[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.serverChunks.push(chunk);
      this.parser.parse(chunk, (frame) => this.frames.push(frame));
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  static open(): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = connect(PORT, HOST, () => resolve(new Client(socket)));
      socket.once('error', reject);
    });
  }

  send(...packets: Buffer[]): void {
    for (const packet of packets) {
      this.clientChunks.push(packet);
      this.socket.write(packet);
    }
  }

  /** Frames until (and including) the first one `done` accepts. */
  async until(done: (frame: Frame) => boolean): Promise<Frame[]> {
    for (;;) {
      const index = this.frames.findIndex(done);
      if (index >= 0) return this.frames.splice(0, index + 1);
      if (this.closed) throw new Error('the server closed the connection');
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Decoded messages up to and including ReadyForQuery. */
  async untilReady(): Promise<BackendMessage[]> {
    const frames = await this.until((frame) => frame.kind === 'message' && frame.code === 0x5a);
    return frames.map(decodeBackend);
  }

  async simple(sql: string): Promise<BackendMessage[]> {
    this.send(frontend.query(sql));
    return this.untilReady();
  }

  closedByServer(): Promise<void> {
    return new Promise((resolve) => (this.closed ? resolve() : this.socket.once('close', () => resolve())));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const text = (message: BackendMessage | undefined): (string | null)[] =>
  message?.type === 'DataRow' ? message.values.map((v) => (v === null ? null : v.toString('utf8'))) : [];
const types = (messages: BackendMessage[]): string[] => messages.map((m) => m.type);

async function startSession(): Promise<{ client: Client; startup: BackendMessage[] }> {
  const client = await Client.open();
  client.send(frontend.sslRequest());
  client.parser.expectSslResponse();
  const [answer] = await client.until((frame) => frame.kind === 'encryption-response');
  expect(answer!.code).toBe(0x4e); // ssl = off on this machine
  client.send(
    frontend.startupMessage({
      user: 'postgres',
      database: 'test',
      application_name: 'wire-postgres-test',
    }),
  );
  return { client, startup: await client.untilReady() };
}

describe('a real PostgreSQL session', () => {
  let client: Client;
  let startup: BackendMessage[];
  const transcript: Record<string, BackendMessage[]> = {};

  beforeAll(async () => {
    ({ client, startup } = await startSession());
    transcript.simple = await client.simple("select 1 as one, null::text as nothing, 'ünï' as word");

    client.send(
      frontend.parse({ name: 's1', sql: 'select $1::int4 + 1 as next', paramTypes: [23] }),
      frontend.bind({
        statement: 's1',
        paramFormats: [1],
        params: [Buffer.from([0, 0, 0, 41])],
        resultFormats: [1],
      }),
      frontend.describe('P'),
      frontend.execute(),
      frontend.close('S', 's1'),
      frontend.sync(),
    );
    transcript.extended = await client.untilReady();

    transcript.notice = await client.simple("do $$ begin raise notice 'hello from plpgsql'; end $$");
    transcript.error = await client.simple('select 1/0');
    await client.simple('create temp table t (id int, name text)');
    client.send(frontend.query('copy t from stdin'));
    await client.until((frame) => frame.code === 0x47);
    client.send(frontend.copyData(Buffer.from('1\tone\n2\ttwo\n')), frontend.copyDone());
    transcript.copyIn = await client.untilReady();
    transcript.copyOut = await client.simple('copy t to stdout');
    transcript.notify = await client.simple("listen jobs; notify jobs, 'payload'");
    transcript.empty = await client.simple('');
  });

  afterAll(() => client.destroy());

  test('startup: authentication, parameters, key data, ready', () => {
    expect(startup[0]).toEqual({ type: 'AuthenticationOk' });
    expect(startup).toContainEqual({
      type: 'ParameterStatus',
      name: 'client_encoding',
      value: 'UTF8',
    });
    expect(startup).toContainEqual(expect.objectContaining({ type: 'BackendKeyData' }));
    expect(startup.at(-1)).toEqual({ type: 'ReadyForQuery', status: 'I' });
  });

  test('simple query: row description, a row with NULL and UTF-8, command tag', () => {
    expect(types(transcript.simple!)).toEqual(['RowDescription', 'DataRow', 'CommandComplete', 'ReadyForQuery']);
    expect(text(transcript.simple![1])).toEqual(['1', null, 'ünï']);
    expect(transcript.simple![2]).toEqual({ type: 'CommandComplete', tag: 'SELECT 1' });
  });

  test('extended query pipeline with a binary parameter and result', () => {
    const messages = transcript.extended!;
    expect(types(messages)).toEqual([
      'ParseComplete',
      'BindComplete',
      'RowDescription',
      'DataRow',
      'CommandComplete',
      'CloseComplete',
      'ReadyForQuery',
    ]);
    expect(messages[2]).toMatchObject({ fields: [{ name: 'next', typeOid: 23, format: 1 }] });
    const row = messages[3];
    expect(row?.type === 'DataRow' && row.values[0]!.readInt32BE()).toBe(42);
  });

  test('notice and error responses carry their fields by code', () => {
    expect(transcript.notice![0]).toMatchObject({
      type: 'NoticeResponse',
      fields: { S: 'NOTICE', V: 'NOTICE', C: '00000', M: 'hello from plpgsql' },
    });
    expect(transcript.error![0]).toMatchObject({
      type: 'ErrorResponse',
      fields: { S: 'ERROR', C: '22012', M: 'division by zero' },
    });
    expect(transcript.error!.at(-1)).toEqual({ type: 'ReadyForQuery', status: 'I' });
  });

  test('COPY in and out', () => {
    expect(transcript.copyIn).toContainEqual({ type: 'CommandComplete', tag: 'COPY 2' });
    expect(types(transcript.copyOut!)).toEqual([
      'CopyOutResponse',
      'CopyData',
      'CopyData',
      'CopyDone',
      'CommandComplete',
      'ReadyForQuery',
    ]);
    expect(transcript.copyOut![1]).toEqual({ type: 'CopyData', data: Buffer.from('1\tone\n') });
  });

  test('LISTEN/NOTIFY and the empty query', () => {
    expect(transcript.notify).toContainEqual(
      expect.objectContaining({
        type: 'NotificationResponse',
        channel: 'jobs',
        payload: 'payload',
      }),
    );
    expect(types(transcript.empty!)).toEqual(['EmptyQueryResponse', 'ReadyForQuery']);
  });

  test("the server's bytes, split at every offset, frame the same; each re-encodes exactly", () => {
    const bytes = Buffer.concat(client.serverChunks);
    const reference: Frame[] = [];
    const parse = (chunks: Buffer[]): string[] => {
      const parser = new BackendParser();
      parser.expectSslResponse();
      const hex: string[] = [];
      for (const chunk of chunks)
        parser.parse(
          chunk,
          (frame) => (hex.push(frame.bytes.toString('hex')), chunks === whole && reference.push(frame)),
        );
      return hex;
    };
    const whole = [bytes];
    const expected = parse(whole);
    for (let offset = 0; offset <= bytes.length; offset += 1) {
      const frames = parse([bytes.subarray(0, offset), bytes.subarray(offset)]);
      if (frames.join() !== expected.join()) throw new Error(`split at ${offset} differs`);
    }
    for (const frame of reference.slice(1)) {
      expect(encodeBackend(decodeBackend(frame)).toString('hex')).toBe(frame.bytes.toString('hex'));
    }
  });

  test('our client bytes frame and decode as sent', () => {
    const parser = new FrontendParser();
    const decoded: string[] = [];
    for (const chunk of client.clientChunks) {
      parser.parse(chunk, (frame) => {
        const message = decodeFrontend(frame);
        expect(encodeFrontend(message).equals(frame.bytes)).toBe(true);
        decoded.push(message.type);
      });
    }
    expect(decoded.slice(0, 4)).toEqual(['SSLRequest', 'StartupMessage', 'Query', 'Parse']);
  });
});

describe('CancelRequest against a real server', () => {
  test('cancels a running query', async () => {
    const { client, startup } = await startSession();
    try {
      const key = startup.find((m) => m.type === 'BackendKeyData');
      if (key?.type !== 'BackendKeyData') throw new Error('no BackendKeyData');
      client.send(frontend.query('select pg_sleep(30)'));
      // A cancel reaching an idle backend is ignored: wait until the query sleeps.
      const observer = await startSession();
      try {
        for (;;) {
          const rows = await observer.client.simple(
            `select 1 from pg_stat_activity where pid = ${key.processId} and wait_event = 'PgSleep'`,
          );
          if (rows.some((m) => m.type === 'DataRow')) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        observer.client.destroy();
      }
      const canceller = await Client.open();
      canceller.send(frontend.cancelRequest(key.processId, key.secretKey));
      await canceller.closedByServer();
      const messages = await client.untilReady();
      const error = messages.find((m) => m.type === 'ErrorResponse');
      expect(error).toMatchObject({
        fields: { C: '57014', M: 'canceling statement due to user request' },
      });
    } finally {
      client.destroy();
    }
  });
});

describe('password hashes PostgreSQL computes itself', () => {
  let client: Client;
  const roles: string[] = [];

  beforeAll(async () => {
    ({ client } = await startSession());
  });

  afterAll(async () => {
    for (const role of roles) await client.simple(`drop role if exists ${role}`);
    client.destroy();
  });

  async function storedPassword(
    password: string,
    encryption: 'scram-sha-256' | 'md5',
  ): Promise<{ role: string; stored: string }> {
    const role = `wire_pg_${randomBytes(6).toString('hex')}`;
    roles.push(role);
    const literal = `'${password.replace(/'/g, "''")}'`;
    const messages = await client.simple(
      `set password_encryption = '${encryption}'; create role ${role} password ${literal}; select rolpassword from pg_authid where rolname = '${role}'`,
    );
    const row = messages.find((m) => m.type === 'DataRow');
    return { role, stored: text(row)[0]! };
  }

  test.each(['pencil', 'pässwörd', 'I\u00ADX\u2168', '\uFB01sh \u00A0x'])(
    'SCRAM verifier for %j matches scramKeys (SASLprep included)',
    async (password) => {
      const { stored } = await storedPassword(password, 'scram-sha-256');
      const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(stored);
      expect(match).not.toBeNull();
      const [, iterations, salt, storedKey, serverKey] = match!;
      const keys = scramKeys(password, Buffer.from(salt!, 'base64'), Number(iterations));
      expect(keys.storedKey.toString('base64')).toBe(storedKey);
      expect(keys.serverKey.toString('base64')).toBe(serverKey);
    },
  );

  test('md5 hash matches md5PasswordHash', async () => {
    const { role, stored } = await storedPassword('secret', 'md5');
    expect(stored).toBe(md5PasswordHash(role, 'secret'));
  });
});
