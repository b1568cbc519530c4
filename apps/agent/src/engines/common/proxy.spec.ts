import { describe, expect, test } from '@jest/globals';
import { Duplex, PassThrough } from 'node:stream';
import { proxySession, type FrameCodec, type FrameFilter, type ProxyFrame } from './proxy.js';
import { SessionEnd } from './session-end.js';

/** A toy protocol: one frame per line; "QUIT" says goodbye. Not PostgreSQL on purpose. */
class LineSplitter {
  private rest = Buffer.alloc(0);
  get bufferedBytes(): number {
    return this.rest.length;
  }
  parse(chunk: Buffer, onFrame: (frame: ProxyFrame & { line: string }) => void): void {
    let data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    let newline: number;
    while ((newline = data.indexOf(10)) >= 0) {
      const bytes = data.subarray(0, newline + 1);
      if (bytes.includes(0)) throw new Error('NUL in a line');
      onFrame({ bytes, line: bytes.toString('utf8', 0, newline) });
      data = data.subarray(newline + 1);
    }
    this.rest = Buffer.from(data);
  }
}

type Line = ProxyFrame & { line: string };

function lineCodec(counts = { client: 0, target: 0, requests: 0 }): FrameCodec<Line, Line> {
  return {
    client: new LineSplitter(),
    target: new LineSplitter(),
    isTerminate: (frame) => frame.line === 'QUIT',
    observeClient: () => undefined,
    observeTarget: (frame) => {
      if (frame.line === 'OK') counts.requests++;
    },
    parseFailure: (side, error) =>
      new SessionEnd('protocol_error', `${side}: ${(error as Error).message}`, {
        kind: 'protocol_violation',
        message: 'bad line',
      }),
    countBytes: (side, bytes) => {
      counts[side] += bytes;
    },
  };
}

/** A duplex whose writes are collected and whose readable side we push into. */
function endpoint(): { stream: Duplex; written: Buffer[]; push(text: string): void } {
  const written: Buffer[] = [];
  const readable = new PassThrough();
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk);
      callback();
    },
  });
  readable.on('data', (chunk: Buffer) => stream.push(chunk));
  return { stream, written, push: (text) => readable.write(text) };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the kit proxy loop on a non-PostgreSQL codec', () => {
  test('forwards frames both ways, counts bytes and requests, ends on the goodbye frame', async () => {
    const client = endpoint();
    const target = endpoint();
    const counts = { client: 0, target: 0, requests: 0 };
    const outcome = proxySession({
      client: client.stream,
      target: target.stream,
      codec: lineCodec(counts),
      pendingFromClient: [],
      pendingFromTarget: [],
      signal: new AbortController().signal,
      abortEnd: () => new SessionEnd('revoked', 'revoked'),
    });
    client.push('GET a\nGE');
    await tick();
    client.push('T b\n');
    target.push('OK\nOK\n');
    await tick();
    client.push('QUIT\n');
    const { end, terminateForwarded } = await outcome;
    expect(Buffer.concat(target.written).toString()).toBe('GET a\nGET b\nQUIT\n');
    expect(Buffer.concat(client.written).toString()).toBe('OK\nOK\n');
    expect(counts).toEqual({ client: 17, target: 6, requests: 2 });
    expect(terminateForwarded).toBe(true);
    expect(end.reason).toBe('client_closed');
    expect(end.clean).toBe(true);
  });

  test('a filter substitutes, drops and holds frames in order', async () => {
    const client = endpoint();
    const target = endpoint();
    let release: (bytes: Buffer | null) => void = () => undefined;
    const filter: FrameFilter<Line, Line> = {
      attach: () => undefined,
      fromClient: (frame) => {
        if (frame.line === 'DROP') return null;
        if (frame.line === 'HOLD') return new Promise((resolve) => (release = resolve));
        return frame.bytes;
      },
      fromTarget: (frame) => (frame.line === 'secret' ? Buffer.from('*****\n') : frame.bytes),
    };
    const outcome = proxySession({
      client: client.stream,
      target: target.stream,
      codec: lineCodec(),
      pendingFromClient: [],
      pendingFromTarget: [],
      signal: new AbortController().signal,
      abortEnd: () => new SessionEnd('revoked', 'revoked'),
      filter,
    });
    client.push('A\nDROP\nHOLD\nB\n');
    target.push('secret\n');
    await tick();
    expect(Buffer.concat(target.written).toString()).toBe('A\n');
    release(Buffer.from('HELD\n'));
    await tick();
    expect(Buffer.concat(target.written).toString()).toBe('A\nHELD\nB\n');
    expect(Buffer.concat(client.written).toString()).toBe('*****\n');
    client.push('QUIT\n');
    expect((await outcome).end.reason).toBe('client_closed');
  });

  test('a read forwarded unchanged goes out in one write; a frame cut by the read waits for its end', async () => {
    const client = endpoint();
    const target = endpoint();
    const outcome = proxySession({
      client: client.stream,
      target: target.stream,
      codec: lineCodec(),
      pendingFromClient: [],
      pendingFromTarget: [],
      signal: new AbortController().signal,
      abortEnd: () => new SessionEnd('revoked', 'revoked'),
      filter: { attach: () => undefined, fromClient: (frame) => frame.bytes, fromTarget: (frame) => frame.bytes },
    });
    client.push('A\nB\nC\n');
    await tick();
    expect(target.written.map(String)).toEqual(['A\nB\nC\n']);
    client.push('D\nE\nF');
    await tick();
    expect(target.written.map(String)).toEqual(['A\nB\nC\n', 'D\nE\n']);
    client.push('\nQUIT\n');
    expect((await outcome).end.reason).toBe('client_closed');
    expect(Buffer.concat(target.written).toString()).toBe('A\nB\nC\nD\nE\nF\nQUIT\n');
  });

  test('a parse failure ends the session through the codec, with a neutral error', async () => {
    const client = endpoint();
    const target = endpoint();
    const outcome = proxySession({
      client: client.stream,
      target: target.stream,
      codec: lineCodec(),
      pendingFromClient: [],
      pendingFromTarget: [],
      signal: new AbortController().signal,
      abortEnd: () => new SessionEnd('revoked', 'revoked'),
    });
    client.push('bad\0line\n');
    const { end } = await outcome;
    expect(end.reason).toBe('protocol_error');
    expect(end.fatal).toEqual({ kind: 'protocol_violation', message: 'bad line' });
  });

  test('an abort ends the session with the engine’s own end', async () => {
    const abort = new AbortController();
    const outcome = proxySession({
      client: endpoint().stream,
      target: endpoint().stream,
      codec: lineCodec(),
      pendingFromClient: [],
      pendingFromTarget: [],
      signal: abort.signal,
      abortEnd: () =>
        new SessionEnd('revoked', 'revoked', { kind: 'administrator_shutdown', message: 'access revoked' }),
    });
    abort.abort();
    expect((await outcome).end.fatal?.kind).toBe('administrator_shutdown');
  });
});
