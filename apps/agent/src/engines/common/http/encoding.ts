/*
 * Content codings a body inspector can read: identity, gzip (x-gzip) and deflate are decoded and
 * re-encoded around it; anything else (br, zstd, a list of codings) cannot be read, so the caller
 * either passes it untouched (nothing needs to read it) or refuses it.
 */
import type { Transform } from 'node:stream';
import { constants, createDeflate, createGunzip, createGzip, createInflate } from 'node:zlib';

export type ReadableCoding = 'identity' | 'gzip' | 'deflate';

/** The coding of a `Content-Encoding` value when a body inspector can read it, else null. */
export function readableCoding(contentEncoding: string | string[] | undefined): ReadableCoding | null {
  if (contentEncoding === undefined) return 'identity';
  const value = (Array.isArray(contentEncoding) ? contentEncoding.join(',') : contentEncoding).trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  return null;
}

/**
 * Decoder and encoder for a readable coding (null for identity). Sync flushes keep a streamed
 * answer (server-sent events, JSON lines) moving instead of waiting for the compressor's block.
 */
export function codingStreams(coding: ReadableCoding): { decode: Transform; encode: Transform } | null {
  switch (coding) {
    case 'identity':
      return null;
    case 'gzip':
      return {
        decode: createGunzip({ finishFlush: constants.Z_SYNC_FLUSH }),
        encode: createGzip({ flush: constants.Z_SYNC_FLUSH }),
      };
    case 'deflate':
      return {
        decode: createInflate({ finishFlush: constants.Z_SYNC_FLUSH }),
        encode: createDeflate({ flush: constants.Z_SYNC_FLUSH }),
      };
  }
}

/** Whether a media type is JSON (`application/json`, `application/problem+json`, `…+json`, JSON lines). */
export function isJsonMediaType(contentType: string | string[] | undefined): boolean {
  if (contentType === undefined) return false;
  const type = (Array.isArray(contentType) ? contentType[0]! : contentType).split(';')[0]!.trim().toLowerCase();
  return (
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/x-ndjson' ||
    type === 'application/jsonl' ||
    type === 'text/json'
  );
}
