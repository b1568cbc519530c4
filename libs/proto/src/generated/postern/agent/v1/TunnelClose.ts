// Original file: ../../proto/postern/agent/v1/tunnel.proto


export interface TunnelClose {
  'reason'?: (string);
  'error'?: (string);
}

export interface TunnelClose__Output {
  'reason': (string);
  'error': (string);
}
