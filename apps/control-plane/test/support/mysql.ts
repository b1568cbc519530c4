// The machine's MariaDB as a relay test's target (a private database and a password user per test
// file), the `mariadb` CLI, and a raw socket for what real clients never send.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import mysql from 'mysql2/promise';
import { decodeErr, leadingPacket, type ErrPacket } from '@postern/wire-mysql';
import { MARIADB, runMariadbCli, type MariadbRun } from '@postern/testing';

export { MARIADB };

function root(database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({
    ...MARIADB,
    user: 'root',
    multipleStatements: true,
    ...(database ? { database } : {}),
  });
}

/** A fresh database and a mysql_native_password user owning it, dropped by `drop()`. */
export class MysqlTarget {
  private constructor(
    readonly database: string,
    readonly user: string,
    readonly password: string,
  ) {}

  static async create(): Promise<MysqlTarget> {
    const suffix = randomBytes(4).toString('hex');
    const target = new MysqlTarget(
      `postern_relay_${suffix}`,
      `pt_relay_${suffix}`,
      `Relay-${randomBytes(8).toString('hex')}`,
    );
    const connection = await root();
    try {
      await connection.query(`CREATE DATABASE ${target.database}`);
      await connection.query(
        `CREATE USER '${target.user}'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('${target.password}')`,
      );
      await connection.query(`GRANT ALL ON ${target.database}.* TO '${target.user}'@'127.0.0.1'`);
    } finally {
      await connection.end();
    }
    return target;
  }

  /** SQL as root inside the database (fixtures and checks). */
  async root(sql: string): Promise<unknown> {
    const connection = await root(this.database);
    try {
      return (await connection.query(sql))[0];
    } finally {
      await connection.end();
    }
  }

  async drop(): Promise<void> {
    const connection = await root();
    try {
      await connection.query(`DROP DATABASE IF EXISTS ${this.database}`);
      await connection.query(`DROP USER IF EXISTS '${this.user}'@'127.0.0.1'`);
    } finally {
      await connection.end();
    }
  }
}

export type Run = MariadbRun;

/** The `mariadb` CLI over TCP, the password in MYSQL_PWD (never in argv), SQL on stdin. */
export function runMariadb(args: string[], password: string, sql: string): Promise<Run> {
  return runMariadbCli(args, sql, password);
}

/**
 * A raw TCP client of the relay: reads the greeting, writes what a test says, and collects what
 * comes back until the relay closes the connection.
 */
export class RawClient {
  private received = Buffer.alloc(0);
  private ended = false;
  private waiters: (() => void)[] = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    const wake = () => {
      for (const waiter of this.waiters.splice(0)) waiter();
    };
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true;
        wake();
        resolve();
      }),
    );
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  /** Packets received so far, as [sequenceId, payload]. */
  packets(): { sequenceId: number; payload: Buffer }[] {
    const out: { sequenceId: number; payload: Buffer }[] = [];
    let rest = this.received;
    for (let next = leadingPacket(rest, 1 << 20); next !== null; next = leadingPacket(rest, 1 << 20)) {
      out.push({ sequenceId: next.sequenceId, payload: next.payload });
      rest = rest.subarray(next.length);
    }
    return out;
  }

  /** Waits until `count` packets have arrived, or the relay closed the connection. */
  async waitForPackets(count: number): Promise<{ sequenceId: number; payload: Buffer }[]> {
    while (this.packets().length < count && !this.ended) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.packets();
  }

  /** The ERR the relay answered with, if its last packet is one. */
  lastError(): (ErrPacket & { sequenceId: number }) | undefined {
    const last = this.packets().at(-1);
    return last && last.payload[0] === 0xff ? { ...decodeErr(last.payload), sequenceId: last.sequenceId } : undefined;
  }
}
