import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as ControlProto } from './generated/control.js';
import type { ProtoGrpcType as RecordingProto } from './generated/recording.js';

/** The proto files that make up the agent contract, relative to the proto root. */
export const AGENT_PROTO_FILES = ['postern/agent/v1/control.proto', 'postern/agent/v1/recording.proto'] as const;

/**
 * Loader options shared by both sides. They must match the flags the TypeScript types are
 * generated with (see this package's `generate` script), or the types would lie:
 * 64-bit integers as decimal strings (no precision loss, no Long objects), enums as their names,
 * defaults filled in, and a virtual `body` field naming the set member of each oneof.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * Largest gRPC message either side accepts or sends. Recording chunks are bounded well below
 * this (relayed client bytes travel on relay data connections, not gRPC); a peer sending more
 * gets RESOURCE_EXHAUSTED for that call only.
 */
export const MAX_GRPC_MESSAGE_BYTES = 8 * 1024 * 1024;

/** Channel options both ends use: bounded messages, keepalive so dead links are noticed. */
export const GRPC_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
};

/** Server-side counterpart of GRPC_CHANNEL_OPTIONS (accepts the clients' keepalive pings). */
export const GRPC_SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 5_000,
};

export type AgentProto = ControlProto & RecordingProto;

/**
 * Where the .proto files live. In the repository (and in the container image, which keeps its
 * layout) they sit at `<root>/proto`, three levels above both `src/` and `dist/` of this
 * package; POSTERN_PROTO_DIR overrides that for unusual installs.
 */
export function protoRoot(): string {
  const override = process.env['POSTERN_PROTO_DIR'];
  if (override) return override;
  const candidate = fileURLToPath(new URL('../../../proto', import.meta.url));
  if (!existsSync(join(candidate, AGENT_PROTO_FILES[0]))) {
    throw new Error(`agent contract not found under ${candidate}; set POSTERN_PROTO_DIR`);
  }
  return candidate;
}

let cached: AgentProto | undefined;

/** Loads the agent contract once per process and returns its typed gRPC package object. */
export function loadAgentProto(): AgentProto {
  if (cached) return cached;
  const definition = protoLoader.loadSync([...AGENT_PROTO_FILES], {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [protoRoot()],
  });
  cached = grpc.loadPackageDefinition(definition) as unknown as AgentProto;
  return cached;
}

/** The `postern.agent.v1` namespace: service constructors and message type definitions. */
export function agentV1(): AgentProto['postern']['agent']['v1'] {
  return loadAgentProto().postern.agent.v1;
}
