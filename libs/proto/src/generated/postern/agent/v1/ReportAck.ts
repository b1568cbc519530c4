// Original file: ../../proto/postern/agent/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface ReportAck {
  'seq'?: (number | string | Long);
}

export interface ReportAck__Output {
  'seq': (string);
}
