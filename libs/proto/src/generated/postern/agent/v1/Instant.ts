// Original file: ../../proto/postern/agent/v1/common.proto

import type { Long } from '@grpc/proto-loader';

export interface Instant {
  'unixMs'?: (number | string | Long);
}

export interface Instant__Output {
  'unixMs': (string);
}
