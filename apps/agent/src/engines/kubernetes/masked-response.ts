import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { MaskingRefused } from './errors.js';

/** Masks one JSON document (throws on non-JSON); null when nothing changed. */
export type JsonMask = (text: string) => { text: string; masked: number } | null;

export interface MaskedResponseOptions {
  /** What the response holds, for refusals: "Secret", "ConfigMap". */
  what: string;
  mask: JsonMask;
  watch: boolean;
  maxBytes: number;
}

/**
 * Sends an API server response with values masked by `mask` (a `secrets` request: the Secret
 * values; a `configmaps` request under masking rules: what they name). Plain responses are read
 * whole (up to `maxBytes`) and re-serialised; watches are masked one event line at a time as they
 * stream. A body that is not JSON (protobuf although the agent asked for JSON, a compressed body)
 * is never forwarded: MaskingRefused. Returns the count of masked values.
 */
export async function sendMasked(
  upstream: { statusCode: number; body: Readable },
  response: ServerResponse,
  headers: Record<string, string | string[]>,
  options: MaskedResponseOptions,
): Promise<number> {
  const type = String(headers['content-type'] ?? '');
  const encoding = String(headers['content-encoding'] ?? 'identity');
  if ((type !== '' && !/^application\/json\b/.test(type)) || encoding !== 'identity') {
    upstream.body.destroy();
    throw new MaskingRefused(
      `a ${options.what} response in ${type || 'no content type'} (${encoding}) cannot be masked`,
    );
  }
  delete headers['content-length'];
  delete headers['content-encoding'];
  const maskJson = (text: string) => {
    try {
      return options.mask(text);
    } catch (error) {
      throw new MaskingRefused(
        `a ${options.what} response is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
  if (options.watch) return streamWatch(upstream, response, headers, options.maxBytes, maskJson);
  const body = await readAll(upstream.body, options.maxBytes, options.what);
  let text = body.toString('utf8');
  let masked = 0;
  if (text.trim() !== '') {
    const result = maskJson(text);
    if (result !== null) ({ text, masked } = result);
  }
  headers['content-length'] = String(Buffer.byteLength(text));
  response.writeHead(upstream.statusCode, headers);
  response.end(text);
  return masked;
}

async function readAll(stream: Readable, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > maxBytes) {
      stream.destroy();
      throw new MaskingRefused(`a ${what} response larger than ${maxBytes} bytes cannot be masked`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}

/** Watch events are one JSON document per line: each is masked before it is passed on. */
async function streamWatch(
  upstream: { statusCode: number; body: Readable },
  response: ServerResponse,
  headers: Record<string, string | string[]>,
  maxLine: number,
  maskJson: JsonMask,
): Promise<number> {
  response.writeHead(upstream.statusCode, headers);
  response.flushHeaders();
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let masked = 0;
  const emit = (line: Buffer): boolean => {
    const text = line.toString('utf8');
    if (text.trim() === '') return response.write(line);
    const result = maskJson(text);
    if (result === null) return response.write(Buffer.concat([line, NEWLINE]));
    masked += result.masked;
    return response.write(`${result.text}\n`);
  };
  for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
    let start = 0;
    let newline = chunk.indexOf(0x0a, start);
    let ok = true;
    while (newline !== -1) {
      const piece = chunk.subarray(start, newline);
      const line = pendingLength === 0 ? piece : Buffer.concat([...pending, piece]);
      pending = [];
      pendingLength = 0;
      ok = emit(line) && ok;
      start = newline + 1;
      newline = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingLength += chunk.length - start;
      if (pendingLength > maxLine)
        throw new MaskingRefused(`a watch event larger than ${maxLine} bytes cannot be masked`);
    }
    // Backpressure: a slow client stops the reading of the API server's stream.
    if (!ok && !response.destroyed)
      await new Promise((resolve) => response.once('drain', resolve).once('close', resolve));
  }
  if (pendingLength > 0) emit(Buffer.concat(pending));
  response.end();
  return masked;
}

const NEWLINE = Buffer.from('\n');
