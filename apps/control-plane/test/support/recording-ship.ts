// Session recordings as an agent's spool ships them: chunks of JSON Lines events chained by the
// recording chain of @postern/contracts (whose pinned vectors both apps' specs check), sent on a
// raw Recording.Ship stream.
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { chainHash, chainSeed } from '@postern/contracts';
import { agentV1, type RecordingAck__Output } from '@postern/proto';

export interface Chunk {
  sessionId: string;
  seq: string;
  data: Buffer;
  chainHash: Buffer;
  final: boolean;
  encoding?: 'RECORDING_ENCODING_JSONL' | 'RECORDING_ENCODING_JSONL_GZIP';
}

/**
 * One chunk per array of events, the last chunk final; the chunks at the `gzip` seqs are sent
 * gzip-compressed as agents send large ones (the chain is over the JSON Lines either way).
 */
export function recordingChunks(
  sessionId: string,
  chunks: Array<Array<Record<string, unknown>>>,
  options: { gzip?: number[] } = {},
): Chunk[] {
  let prev = chainSeed(sessionId);
  return chunks.map((events, seq) => {
    const data = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const final = seq === chunks.length - 1;
    prev = chainHash(prev, seq, final, data);
    return options.gzip?.includes(seq)
      ? {
          sessionId,
          seq: String(seq),
          data: gzipSync(data),
          chainHash: prev,
          final,
          encoding: 'RECORDING_ENCODING_JSONL_GZIP',
        }
      : { sessionId, seq: String(seq), data, chainHash: prev, final };
  });
}

/** Ships `chunks` on one Recording.Ship stream and resolves with the acknowledgements, in order. */
export async function shipRecording(grpcAddress: string, credential: string, chunks: Chunk[]) {
  const client = new (agentV1().Recording)(grpcAddress, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${credential}`);
  const call = client.Ship(metadata) as grpc.ClientDuplexStream<Chunk, RecordingAck__Output>;
  const acks: RecordingAck__Output[] = [];
  try {
    return await new Promise<RecordingAck__Output[]>((resolve, reject) => {
      call.on('data', (ack: RecordingAck__Output) => {
        acks.push(ack);
        if (acks.length === chunks.length) resolve(acks);
      });
      call.on('error', reject);
      for (const chunk of chunks) call.write(chunk);
    });
  } finally {
    call.end();
    client.close();
  }
}
