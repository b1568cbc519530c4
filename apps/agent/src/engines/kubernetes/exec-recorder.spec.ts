import { describe, expect, test } from '@jest/globals';
import type { EngineContext } from '../engine.js';
import { ExecRecorder } from './exec-recorder.js';

/** A WebSocket binary frame (RFC 6455), masked as a client sends it, unmasked as a server does. */
function frame(payload: Buffer, mask: Buffer | null): Buffer {
  const head = Buffer.from([0x82, (mask ? 0x80 : 0) | payload.length]);
  if (!mask) return Buffer.concat([head, payload]);
  const body = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}

function recorder() {
  const events: { type: string; event: Record<string, unknown> }[] = [];
  const failures: string[] = [];
  const context = {
    record: (type: string, event: Record<string, unknown>) => events.push({ type, event }),
  } as unknown as EngineContext;
  const info = {
    subresource: 'exec' as const,
    namespace: 'prod',
    pod: 'web-0',
    container: 'web',
    command: ['sh'],
    tty: false,
    protocol: 'v5.channel.k8s.io',
  };
  return { events, failures, recorder: new ExecRecorder(context, 0, info, 1024, (why) => failures.push(why)) };
}

describe('exec recorder', () => {
  test('records stdin, stdout, stderr and the exit code without changing the forwarded bytes', () => {
    const { events, failures, recorder: r } = recorder();
    const stdin = frame(Buffer.concat([Buffer.from([0]), Buffer.from('ls\n')]), Buffer.from([1, 2, 3, 4]));
    const copy = Buffer.from(stdin);
    // Split at every offset: frames arrive in any chunking.
    r.client(stdin.subarray(0, 3));
    r.client(stdin.subarray(3));
    expect(stdin).toEqual(copy);
    r.target(frame(Buffer.concat([Buffer.from([1]), Buffer.from('a b\n')]), null));
    r.target(frame(Buffer.concat([Buffer.from([2]), Buffer.from('oops\n')]), null));
    const status = '{"status":"Failure","details":{"causes":[{"reason":"ExitCode","message":"7"}]}}';
    r.target(frame(Buffer.concat([Buffer.from([3]), Buffer.from(status)]), null));
    r.end();
    expect(failures).toEqual([]);
    expect(events.map((e) => e.type)).toEqual([
      'kubernetes.exec',
      'kubernetes.exec.output',
      'kubernetes.exec.output',
      'kubernetes.exec.output',
      'kubernetes.exec.end',
    ]);
    expect(events[1]!.event['event']).toEqual([expect.any(Number), 'i', 'ls\n']);
    expect(events[2]!.event['event']).toEqual([expect.any(Number), 'o', 'a b\n']);
    expect(events[3]!.event).toMatchObject({ stderr: true });
    expect(events[4]!.event).toMatchObject({ exitCode: 7 });
  });

  test('frames that do not parse end the stream', async () => {
    const { failures, recorder: r } = recorder();
    // An unmasked frame from the client is a protocol error.
    r.client(frame(Buffer.from([0, 65]), null));
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures.length).toBe(1);
  });
});
