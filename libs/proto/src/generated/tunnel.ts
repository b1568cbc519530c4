import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { TunnelClient as _postern_agent_v1_TunnelClient, TunnelDefinition as _postern_agent_v1_TunnelDefinition } from './postern/agent/v1/Tunnel.js';
import type { TunnelClose as _postern_agent_v1_TunnelClose, TunnelClose__Output as _postern_agent_v1_TunnelClose__Output } from './postern/agent/v1/TunnelClose.js';
import type { TunnelFrame as _postern_agent_v1_TunnelFrame, TunnelFrame__Output as _postern_agent_v1_TunnelFrame__Output } from './postern/agent/v1/TunnelFrame.js';
import type { TunnelOpen as _postern_agent_v1_TunnelOpen, TunnelOpen__Output as _postern_agent_v1_TunnelOpen__Output } from './postern/agent/v1/TunnelOpen.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  postern: {
    agent: {
      v1: {
        Tunnel: SubtypeConstructor<typeof grpc.Client, _postern_agent_v1_TunnelClient> & { service: _postern_agent_v1_TunnelDefinition }
        TunnelClose: MessageTypeDefinition<_postern_agent_v1_TunnelClose, _postern_agent_v1_TunnelClose__Output>
        TunnelFrame: MessageTypeDefinition<_postern_agent_v1_TunnelFrame, _postern_agent_v1_TunnelFrame__Output>
        TunnelOpen: MessageTypeDefinition<_postern_agent_v1_TunnelOpen, _postern_agent_v1_TunnelOpen__Output>
      }
    }
  }
}

