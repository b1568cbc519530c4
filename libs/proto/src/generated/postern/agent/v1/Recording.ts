// Original file: ../../proto/postern/agent/v1/recording.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { RecordingAck as _postern_agent_v1_RecordingAck, RecordingAck__Output as _postern_agent_v1_RecordingAck__Output } from '../../../postern/agent/v1/RecordingAck.js';
import type { RecordingChunk as _postern_agent_v1_RecordingChunk, RecordingChunk__Output as _postern_agent_v1_RecordingChunk__Output } from '../../../postern/agent/v1/RecordingChunk.js';

export interface RecordingClient extends grpc.Client {
  Ship(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_postern_agent_v1_RecordingChunk, _postern_agent_v1_RecordingAck__Output>;
  Ship(options?: grpc.CallOptions): grpc.ClientDuplexStream<_postern_agent_v1_RecordingChunk, _postern_agent_v1_RecordingAck__Output>;
  ship(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_postern_agent_v1_RecordingChunk, _postern_agent_v1_RecordingAck__Output>;
  ship(options?: grpc.CallOptions): grpc.ClientDuplexStream<_postern_agent_v1_RecordingChunk, _postern_agent_v1_RecordingAck__Output>;
  
}

export interface RecordingHandlers extends grpc.UntypedServiceImplementation {
  Ship: grpc.handleBidiStreamingCall<_postern_agent_v1_RecordingChunk__Output, _postern_agent_v1_RecordingAck>;
  
}

export interface RecordingDefinition extends grpc.ServiceDefinition {
  Ship: MethodDefinition<_postern_agent_v1_RecordingChunk, _postern_agent_v1_RecordingAck, _postern_agent_v1_RecordingChunk__Output, _postern_agent_v1_RecordingAck__Output>
}
