// Original file: ../../proto/postern/agent/v1/control.proto


export interface PublicHostKey {
  'protocol'?: (string);
  'publicKey'?: (string);
  'fingerprint'?: (string);
}

export interface PublicHostKey__Output {
  'protocol': (string);
  'publicKey': (string);
  'fingerprint': (string);
}
