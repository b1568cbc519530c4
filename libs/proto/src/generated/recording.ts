import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { RecordingClient as _postern_agent_v1_RecordingClient, RecordingDefinition as _postern_agent_v1_RecordingDefinition } from './postern/agent/v1/Recording.js';
import type { RecordingAck as _postern_agent_v1_RecordingAck, RecordingAck__Output as _postern_agent_v1_RecordingAck__Output } from './postern/agent/v1/RecordingAck.js';
import type { RecordingChunk as _postern_agent_v1_RecordingChunk, RecordingChunk__Output as _postern_agent_v1_RecordingChunk__Output } from './postern/agent/v1/RecordingChunk.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  postern: {
    agent: {
      v1: {
        Recording: SubtypeConstructor<typeof grpc.Client, _postern_agent_v1_RecordingClient> & { service: _postern_agent_v1_RecordingDefinition }
        RecordingAck: MessageTypeDefinition<_postern_agent_v1_RecordingAck, _postern_agent_v1_RecordingAck__Output>
        RecordingChunk: MessageTypeDefinition<_postern_agent_v1_RecordingChunk, _postern_agent_v1_RecordingChunk__Output>
        RecordingEncoding: EnumTypeDefinition
      }
    }
  }
}

