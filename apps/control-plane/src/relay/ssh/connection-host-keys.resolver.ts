import { Inject } from '@nestjs/common';
import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { AgentsService } from '../../agents/agents.service.js';
import { agentHostKeyAlias, RELAY_HOST_KEY_ALIAS, SshHostKeyModel } from '../../agents/dto/ssh-host-key.model.js';
import { ConnectionModel } from '../../connections/dto/connection.model.js';
import { FRONT_DOORS, type FrontDoor } from '../core/front-door.js';
import { RelayListeners } from '../core/relay-listeners.js';
import { SSH } from './ssh.front-door.js';

/**
 * `Connection.sshHostKeys`: every host key a client of an SSH connection may meet — the relay's
 * (when its SSH door listens) and those of the agents serving it (their local listeners) — each
 * with its alias and known_hosts line. Empty for other protocols.
 */
@Resolver(() => ConnectionModel)
export class ConnectionHostKeysResolver {
  constructor(
    private readonly agents: AgentsService,
    private readonly listeners: RelayListeners,
    @Inject(FRONT_DOORS) private readonly doors: FrontDoor[],
  ) {}

  @ResolveField(() => [SshHostKeyModel], {
    description:
      "SSH: the host keys clients of this connection meet — the relay's (alias postern-relay) when its SSH door " +
      "listens, and each serving agent's (alias postern-agent-<name>) for its local listener. Empty otherwise.",
  })
  async sshHostKeys(@Parent() connection: ConnectionModel): Promise<SshHostKeyModel[]> {
    if (connection.protocol !== 'SSH') return [];
    const keys: SshHostKeyModel[] = [];
    const listening = this.listeners.endpoints().some((endpoint) => endpoint.protocol === SSH);
    const relayKey = listening ? this.doors.find((door) => door.protocol === SSH)?.publicHostKey?.() : undefined;
    if (relayKey) keys.push(SshHostKeyModel.of(RELAY_HOST_KEY_ALIAS, relayKey));
    const serving = connection.agentId
      ? [await this.agents.getAgent(connection.agentId)]
      : connection.agentGroupId
        ? (await this.agents.listAgents({ agentGroupId: connection.agentGroupId })).agents
        : [];
    for (const agent of serving) {
      for (const key of agent.hostKeys) {
        if (key.protocol === SSH) keys.push(SshHostKeyModel.of(agentHostKeyAlias(agent.name), key));
      }
    }
    return keys;
  }
}
