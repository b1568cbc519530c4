// Original file: ../../proto/postern/agent/v1/recording.proto

import type { Long } from '@grpc/proto-loader';

export interface RecordingAck {
  'sessionId'?: (string);
  'seq'?: (number | string | Long);
  'committed'?: (boolean);
  'error'?: (string);
}

export interface RecordingAck__Output {
  'sessionId': (string);
  'seq': (string);
  'committed': (boolean);
  'error': (string);
}
