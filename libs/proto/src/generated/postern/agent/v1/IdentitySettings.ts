// Original file: ../../proto/postern/agent/v1/policy.proto


export interface IdentitySettings {
  'issuer'?: (string);
  'audiences'?: (string)[];
  'jwksJson'?: (string);
  'groupsClaim'?: (string);
  'allowedAlgorithms'?: (string)[];
  'refusedAudiences'?: (string)[];
}

export interface IdentitySettings__Output {
  'issuer': (string);
  'audiences': (string)[];
  'jwksJson': (string);
  'groupsClaim': (string);
  'allowedAlgorithms': (string)[];
  'refusedAudiences': (string)[];
}
