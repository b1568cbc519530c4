import { Field, ObjectType } from '@nestjs/graphql';
import { knownHostsLine } from '../host-keys.js';

@ObjectType('SshHostKey', {
  description:
    "A public SSH host key Postern serves with (an agent's SSH engine, or the relay's SSH front door), for " +
    "clients' known_hosts. Clients pin it under hostKeyAlias (ssh_config HostKeyAlias), so one entry " +
    'holds whatever address they dial.',
})
export class SshHostKeyModel {
  @Field({ description: 'OpenSSH public key: "<algorithm> <base64>".' }) publicKey!: string;
  @Field({ description: 'SHA256:… as ssh-keygen -l prints it.' }) fingerprint!: string;
  @Field({ description: 'The name the key is pinned under: postern-relay, or postern-agent-<agent name>.' })
  hostKeyAlias!: string;
  @Field({ description: 'The known_hosts line: "<hostKeyAlias> <publicKey>".' }) knownHostsLine!: string;

  static of(alias: string, key: { publicKey: string; fingerprint: string }): SshHostKeyModel {
    return Object.assign(new SshHostKeyModel(), {
      publicKey: key.publicKey,
      fingerprint: key.fingerprint,
      hostKeyAlias: alias,
      knownHostsLine: knownHostsLine([alias], key.publicKey),
    });
  }
}

/** The alias an agent's SSH host key is pinned under (local ingress: clients dial the agent itself). */
export function agentHostKeyAlias(agentName: string): string {
  return `postern-agent-${agentName}`;
}

/** The alias the relay's SSH host key is pinned under. */
export const RELAY_HOST_KEY_ALIAS = 'postern-relay';
