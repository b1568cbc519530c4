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

/** Decoding bound for stored chunks: what ingest accepts (4 MiB), with room for older rows. */
const MAX_STORED_DECODED_BYTES = 16 * 1024 * 1024;

/**
 * A stored chunk's JSON Lines. One that no longer decodes comes back as its stored bytes, which
 * then fail their chain hash (verification reports the chunk as modified) and do not read as
 * events (replay and simulation say so): damage is reported where it is looked at, never thrown.
 */
export async function decodeStoredChunk(stored: Buffer, encoding: ChunkEncoding): Promise<Buffer> {
  try {
    return await decodeChunk(stored, encoding, MAX_STORED_DECODED_BYTES);
  } catch (error) {
    if (error instanceof ChunkDecodingError) return stored;
    throw error;
  }
}
