// Original file: ../../proto/postern/agent/v1/common.proto


// Original file: ../../proto/postern/agent/v1/common.proto

export const _postern_agent_v1_Principal_Kind = {
  KIND_UNSPECIFIED: 'KIND_UNSPECIFIED',
  KIND_USER: 'KIND_USER',
  KIND_SERVICE: 'KIND_SERVICE',
} as const;

export type _postern_agent_v1_Principal_Kind =
  | 'KIND_UNSPECIFIED'
  | 0
  | 'KIND_USER'
  | 1
  | 'KIND_SERVICE'
  | 2

export type _postern_agent_v1_Principal_Kind__Output = typeof _postern_agent_v1_Principal_Kind[keyof typeof _postern_agent_v1_Principal_Kind]

export interface Principal {
  'id'?: (string);
  'displayName'?: (string);
  'groups'?: (string)[];
  'kind'?: (_postern_agent_v1_Principal_Kind);
  'loginNames'?: (string)[];
}

export interface Principal__Output {
  'id': (string);
  'displayName': (string);
  'groups': (string)[];
  'kind': (_postern_agent_v1_Principal_Kind__Output);
  'loginNames': (string)[];
}
