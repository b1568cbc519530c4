// Original file: ../../proto/postern/agent/v1/tunnel.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { TunnelFrame as _postern_agent_v1_TunnelFrame, TunnelFrame__Output as _postern_agent_v1_TunnelFrame__Output } from '../../../postern/agent/v1/TunnelFrame.js';

export interface TunnelClient extends grpc.Client {
  Open(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_postern_agent_v1_TunnelFrame, _postern_agent_v1_TunnelFrame__Output>;
  Open(options?: grpc.CallOptions): grpc.ClientDuplexStream<_postern_agent_v1_TunnelFrame, _postern_agent_v1_TunnelFrame__Output>;
  open(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_postern_agent_v1_TunnelFrame, _postern_agent_v1_TunnelFrame__Output>;
  open(options?: grpc.CallOptions): grpc.ClientDuplexStream<_postern_agent_v1_TunnelFrame, _postern_agent_v1_TunnelFrame__Output>;
  
}

export interface TunnelHandlers extends grpc.UntypedServiceImplementation {
  Open: grpc.handleBidiStreamingCall<_postern_agent_v1_TunnelFrame__Output, _postern_agent_v1_TunnelFrame>;
  
}

export interface TunnelDefinition extends grpc.ServiceDefinition {
  Open: MethodDefinition<_postern_agent_v1_TunnelFrame, _postern_agent_v1_TunnelFrame, _postern_agent_v1_TunnelFrame__Output, _postern_agent_v1_TunnelFrame__Output>
}
