import { readFileSync } from 'node:fs';
import { credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { GRPC_CHANNEL_OPTIONS } from '@postern/proto';
import type { AgentConfig } from '../config.js';

/** TLS to the control plane unless explicitly disabled; a private CA and name override if given. */
export function channelSettings(config: AgentConfig['controlPlane']): {
  credentials: ChannelCredentials;
  options: ChannelOptions;
} {
  if (!config.tls) return { credentials: credentials.createInsecure(), options: GRPC_CHANNEL_OPTIONS };
  const ca = config.tls.caFile ? readFileSync(config.tls.caFile) : null;
  const options: ChannelOptions = { ...GRPC_CHANNEL_OPTIONS };
  if (config.tls.serverName) options['grpc.ssl_target_name_override'] = config.tls.serverName;
  return { credentials: credentials.createSsl(ca), options };
}
