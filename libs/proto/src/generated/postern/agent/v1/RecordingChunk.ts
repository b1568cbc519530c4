// Original file: ../../proto/postern/agent/v1/recording.proto

import type { RecordingEncoding as _postern_agent_v1_RecordingEncoding, RecordingEncoding__Output as _postern_agent_v1_RecordingEncoding__Output } from '../../../postern/agent/v1/RecordingEncoding.js';
import type { Long } from '@grpc/proto-loader';

export interface RecordingChunk {
  'sessionId'?: (string);
  'seq'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  'chainHash'?: (Buffer | Uint8Array | string);
  'final'?: (boolean);
  'encoding'?: (_postern_agent_v1_RecordingEncoding);
}

export interface RecordingChunk__Output {
  'sessionId': (string);
  'seq': (string);
  'data': (Buffer);
  'chainHash': (Buffer);
  'final': (boolean);
  'encoding': (_postern_agent_v1_RecordingEncoding__Output);
}
