// Original file: ../../proto/postern/agent/v1/recording.proto

import type { Long } from '@grpc/proto-loader';

export interface RecordingChunk {
  'sessionId'?: (string);
  'seq'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  'chainHash'?: (Buffer | Uint8Array | string);
  'final'?: (boolean);
}

export interface RecordingChunk__Output {
  'sessionId': (string);
  'seq': (string);
  'data': (Buffer);
  'chainHash': (Buffer);
  'final': (boolean);
}
