import { readFileSync } from 'node:fs';
import { Inject } from '@nestjs/common';
import { Field, Int, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { CONFIG, ConfigError, type ControlPlaneConfig } from '../platform/config/config.js';
import { Roles } from '../platform/auth/roles.decorator.js';
import { RELAY_HOST_KEY_ALIAS, SshHostKeyModel } from '../agents/dto/ssh-host-key.model.js';
import { FRONT_DOORS, type FrontDoor } from './core/front-door.js';
import { RelayListeners } from './core/relay-listeners.js';

@ObjectType('RelayEndpoint', { description: "A relay front door: where clients reach a protocol's connections." })
export class RelayEndpointModel {
  @Field({ description: 'postgres, mysql, …' }) protocol!: string;
  @Field(() => String, {
    nullable: true,
    description: 'The host clients use (POSTERN_RELAY_PUBLIC_HOST); null: the host of the API URL.',
  })
  host!: string | null;
  @Field(() => Int) port!: number;
  @Field({ description: 'Clients must use TLS (the relay has a certificate).' }) tls!: boolean;
  @Field(() => SshHostKeyModel, {
    nullable: true,
    description: "ssh: the relay's own host key (POSTERN_RELAY_SSH_HOST_KEY_FILE), pinned under postern-relay.",
  })
  sshHostKey!: SshHostKeyModel | null;
}

@ObjectType('Gateway', { description: 'How clients reach Postern: relay endpoints and the CA that signs them.' })
export class GatewayModel {
  @Field(() => [RelayEndpointModel]) relays!: RelayEndpointModel[];
  @Field(() => String, {
    nullable: true,
    description: "PEM of the CA clients verify the relay's certificate with (POSTERN_RELAY_TLS_CA_FILE), if set.",
  })
  relayCaPem!: string | null;
}

/** What a client (the CLI, the dashboard's connection instructions) needs to reach the relay. */
@Resolver()
export class GatewayResolver {
  private readonly caPem: string | null;

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    private readonly listeners: RelayListeners,
    @Inject(FRONT_DOORS) private readonly doors: FrontDoor[],
  ) {
    const caFile = config.relay.caFile;
    this.caPem = caFile ? readCa(caFile) : null;
  }

  @Query(() => GatewayModel)
  @Roles('user', 'admin', 'auditor', 'approver')
  gateway(): GatewayModel {
    return {
      relays: this.listeners.endpoints().flatMap((endpoint) => {
        const door = this.doors.find((d) => d.protocol === endpoint.protocol);
        const key = door?.publicHostKey?.();
        const published = {
          ...endpoint,
          host: this.config.relay.publicHost,
          sshHostKey: key ? SshHostKeyModel.of(RELAY_HOST_KEY_ALIAS, key) : null,
        };
        // A protocol reached through another's door (kubernetes through http) is listed at its address.
        return [published, ...(door?.alsoServes ?? []).map((protocol) => ({ ...published, protocol }))];
      }),
      relayCaPem: this.caPem,
    };
  }
}

function readCa(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`POSTERN_RELAY_TLS_CA_FILE cannot be read: ${(error as Error).message}`]);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError([`POSTERN_RELAY_TLS_CA_FILE is not a PEM certificate: ${file}`]);
  }
  return pem;
}
