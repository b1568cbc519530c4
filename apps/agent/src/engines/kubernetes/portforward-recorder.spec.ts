import { describe, expect, test } from '@jest/globals';
import {
  controlFrame,
  dataFrame,
  encodeHeaders,
  HeaderCompressor,
  SpdyType,
  synReply,
  synStream,
} from '@postern/policy-kubernetes';
import type { EngineContext } from '../engine.js';
import { PortForwardRecorder } from './portforward-recorder.js';

/** A WebSocket binary frame (RFC 6455), masked as a client sends it, unmasked as a server does. */
function frame(payload: Buffer, mask: Buffer | null): Buffer {
  const length =
    payload.length < 126
      ? Buffer.from([payload.length])
      : Buffer.from([126, payload.length >> 8, payload.length & 255]);
  length[0]! |= mask ? 0x80 : 0;
  const head = Buffer.concat([Buffer.from([0x82]), length]);
  if (!mask) return Buffer.concat([head, payload]);
  return Buffer.concat([head, mask, Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!))]);
}

const MASK = Buffer.from([9, 8, 7, 6]);

function setup(maxBytes = 1024) {
  const events: { type: string; event: Record<string, unknown> }[] = [];
  const failures: string[] = [];
  const context = {
    record: (type: string, event: Record<string, unknown>) => events.push({ type, event }),
  } as unknown as EngineContext;
  const recorder = new PortForwardRecorder(context, 2, { namespace: 'prod', name: 'web-0' }, maxBytes, (why) =>
    failures.push(why),
  );
  return { events, failures, recorder };
}

/** kubectl's side of one forwarded connection: error stream, data stream, request bytes, close. */
function clientBytes(
  compressor: HeaderCompressor,
  requestId: string,
  port: number,
  request: string | Buffer,
  ids: [number, number],
) {
  const headers = (type: string) =>
    compressor.compress(encodeHeaders({ streamtype: type, port: String(port), requestid: requestId }));
  return Buffer.concat(
    [
      synStream(ids[0], headers('error')),
      dataFrame(ids[0], Buffer.alloc(0), true),
      synStream(ids[1], headers('data')),
      dataFrame(ids[1], typeof request === 'string' ? Buffer.from(request) : request),
      dataFrame(ids[1], Buffer.alloc(0), true),
    ].map((spdy) => frame(spdy, MASK)),
  );
}

function podBytes(answer: string, error: string, ids: [number, number]) {
  const replies = new HeaderCompressor();
  return Buffer.concat(
    [
      synReply(ids[0], replies.compress(encodeHeaders({}))),
      synReply(ids[1], replies.compress(encodeHeaders({}))),
      dataFrame(ids[1], Buffer.from(answer)),
      dataFrame(ids[1], Buffer.alloc(0), true),
      dataFrame(ids[0], Buffer.from(error), true),
    ].map((spdy) => frame(spdy, null)),
  );
}

describe('port-forward recorder', () => {
  test('records each forwarded connection with its port, bytes and content, at every chunk boundary', () => {
    const client = clientBytes(new HeaderCompressor(), '0', 8080, 'GET / HTTP/1.1\r\n\r\n', [1, 3]);
    const pod = podBytes('HTTP/1.1 200 OK\r\n\r\nhello', '', [1, 3]);
    for (let split = 0; split <= client.length; split += 1) {
      const { events, failures, recorder } = setup();
      const copy = Buffer.from(client);
      recorder.client(client.subarray(0, split));
      recorder.client(client.subarray(split));
      expect(client).toEqual(copy); // the forwarded bytes are not touched (unmasking works on a copy)
      recorder.target(pod.subarray(0, split % pod.length));
      recorder.target(pod.subarray(split % pod.length));
      expect(failures).toEqual([]);
      expect(events).toEqual([
        {
          type: 'kubernetes.portforward',
          event: expect.objectContaining({
            stream: 2,
            namespace: 'prod',
            pod: 'web-0',
            port: 8080,
            requestId: '0',
            bytesToPod: 18,
            bytesFromPod: 24,
            toPod: 'GET / HTTP/1.1\r\n\r\n',
            fromPod: 'HTTP/1.1 200 OK\r\n\r\nhello',
          }),
        },
      ]);
      recorder.end();
      expect(events).toHaveLength(1);
    }
  });

  test("the kubelet's error, binary content as base64, the cap, and connections open at the end", () => {
    const { events, failures, recorder } = setup(6);
    const compressor = new HeaderCompressor();
    recorder.client(clientBytes(compressor, '0', 9090, Buffer.from('\xff\x00binary', 'latin1'), [1, 3]));
    recorder.target(podBytes('', 'error forwarding port 9090 to pod: connection refused', [1, 3]));
    const open = Buffer.concat(
      [
        synStream(5, compressor.compress(encodeHeaders({ streamtype: 'error', port: '80', requestid: '1' }))),
        synStream(7, compressor.compress(encodeHeaders({ streamtype: 'data', port: '80', requestid: '1' }))),
        dataFrame(7, Buffer.from('more')),
      ].map((spdy) => frame(spdy, MASK)),
    );
    recorder.client(open);
    recorder.end();
    expect(failures).toEqual([]);
    expect(events.map((e) => e.event)).toEqual([
      expect.objectContaining({
        port: 9090,
        error: 'error forwarding port 9090 to pod: connection refused',
        base64: true,
        truncated: true,
        toPod: Buffer.from('\xff\x00bina', 'latin1').toString('base64'),
      }),
      expect.objectContaining({ port: 80, requestId: '1', bytesToPod: 4, truncated: true }),
    ]);
  });

  test('frames that are not SPDY/3 end the stream', () => {
    const { failures, recorder } = setup();
    const bad = controlFrame(SpdyType.Ping, 0, Buffer.from([0, 0, 0, 1]));
    bad.writeUInt16BE(0x8002, 0);
    recorder.client(frame(bad, MASK));
    expect(failures).toEqual(['port-forward frames: SPDY version 2 is not spoken']);
  });
});
