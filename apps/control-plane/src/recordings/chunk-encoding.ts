import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

/** How a chunk's data is stored: the JSON Lines themselves, or gzip-compressed. */
export type ChunkEncoding = 'JSONL' | 'GZIP';

/** The chunk's data could not be decoded: not gzip, damaged, or larger than allowed once decoded. */
export class ChunkDecodingError extends Error {
  override readonly name = 'ChunkDecodingError';
}

/** The wire's RecordingEncoding (enum names) to ours; null for an encoding this build does not know. */
export function encodingFromWire(value: unknown): ChunkEncoding | null {
  switch (value) {
    case undefined:
    case 'RECORDING_ENCODING_JSONL':
      return 'JSONL';
    case 'RECORDING_ENCODING_JSONL_GZIP':
      return 'GZIP';
    default:
      return null;
  }
}

/**
 * The JSON Lines of a chunk. Decompression runs in libuv's thread pool and stops past
 * `maxBytes` of output, so a small chunk that inflates to gigabytes (a zip bomb) costs nothing.
 */
export async function decodeChunk(data: Buffer, encoding: ChunkEncoding, maxBytes: number): Promise<Buffer> {
  if (encoding === 'JSONL') return data;
  try {
    return await gunzipAsync(data, { maxOutputLength: maxBytes });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ChunkDecodingError(
      code === 'ERR_BUFFER_TOO_LARGE' ? `more than ${maxBytes} bytes once decompressed` : 'data is not valid gzip',
    );
  }
}
