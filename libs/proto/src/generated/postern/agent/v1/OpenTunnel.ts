// Original file: ../../proto/postern/agent/v1/control.proto


export interface OpenTunnel {
  'tunnelId'?: (string);
  'connectionId'?: (string);
  'clientAddress'?: (string);
  'protocol'?: (string);
  'ticket'?: (Buffer | Uint8Array | string);
  'dataAddress'?: (string);
}

export interface OpenTunnel__Output {
  'tunnelId': (string);
  'connectionId': (string);
  'clientAddress': (string);
  'protocol': (string);
  'ticket': (Buffer);
  'dataAddress': (string);
}
