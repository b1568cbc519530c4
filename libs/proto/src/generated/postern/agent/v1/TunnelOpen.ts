// Original file: ../../proto/postern/agent/v1/tunnel.proto


export interface TunnelOpen {
  'tunnelId'?: (string);
}

export interface TunnelOpen__Output {
  'tunnelId': (string);
}
