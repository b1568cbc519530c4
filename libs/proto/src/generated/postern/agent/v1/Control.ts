// Original file: ../../proto/postern/agent/v1/control.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentMessage as _postern_agent_v1_AgentMessage, AgentMessage__Output as _postern_agent_v1_AgentMessage__Output } from '../../../postern/agent/v1/AgentMessage.js';
import type { ControlMessage as _postern_agent_v1_ControlMessage, ControlMessage__Output as _postern_agent_v1_ControlMessage__Output } from '../../../postern/agent/v1/ControlMessage.js';
import type { EnrollRequest as _postern_agent_v1_EnrollRequest, EnrollRequest__Output as _postern_agent_v1_EnrollRequest__Output } from '../../../postern/agent/v1/EnrollRequest.js';
import type { EnrollResponse as _postern_agent_v1_EnrollResponse, EnrollResponse__Output as _postern_agent_v1_EnrollResponse__Output } from '../../../postern/agent/v1/EnrollResponse.js';

export interface ControlClient extends grpc.Client {
  Connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_postern_agent_v1_AgentMessage, _postern_agent_v1_ControlMessage__Output>;
  Connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_postern_agent_v1_AgentMessage, _postern_agent_v1_ControlMessage__Output>;
  connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_postern_agent_v1_AgentMessage, _postern_agent_v1_ControlMessage__Output>;
  connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_postern_agent_v1_AgentMessage, _postern_agent_v1_ControlMessage__Output>;
  
  Enroll(argument: _postern_agent_v1_EnrollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_postern_agent_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  Enroll(argument: _postern_agent_v1_EnrollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_postern_agent_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  Enroll(argument: _postern_agent_v1_EnrollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_postern_agent_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  Enroll(argument: _postern_agent_v1_EnrollRequest, callback: grpc.requestCallback<_postern_agent_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _postern_agent_v1_EnrollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_postern_agent_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _postern_agent_v1_EnrollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_postern_agent_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _postern_agent_v1_EnrollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_postern_agent_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _postern_agent_v1_EnrollRequest, callback: grpc.requestCallback<_postern_agent_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ControlHandlers extends grpc.UntypedServiceImplementation {
  Connect: grpc.handleBidiStreamingCall<_postern_agent_v1_AgentMessage__Output, _postern_agent_v1_ControlMessage>;
  
  Enroll: grpc.handleUnaryCall<_postern_agent_v1_EnrollRequest__Output, _postern_agent_v1_EnrollResponse>;
  
}

export interface ControlDefinition extends grpc.ServiceDefinition {
  Connect: MethodDefinition<_postern_agent_v1_AgentMessage, _postern_agent_v1_ControlMessage, _postern_agent_v1_AgentMessage__Output, _postern_agent_v1_ControlMessage__Output>
  Enroll: MethodDefinition<_postern_agent_v1_EnrollRequest, _postern_agent_v1_EnrollResponse, _postern_agent_v1_EnrollRequest__Output, _postern_agent_v1_EnrollResponse__Output>
}
