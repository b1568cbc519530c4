import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { Connection, ConnectionSettings } from '../connection.types.js';
import { forwardDestinationList } from '../protocols/ssh.validator.js';

export enum ConnectionProtocolEnum {
  POSTGRES = 'POSTGRES',
  MYSQL = 'MYSQL',
  SSH = 'SSH',
  KUBERNETES = 'KUBERNETES',
  HTTP = 'HTTP',
}
registerEnumType(ConnectionProtocolEnum, { name: 'ConnectionProtocol' });

@ObjectType('HttpHeaderSecret', {
  description: 'A request header the agent sets to a secret (its reference, never its value).',
})
export class HttpHeaderSecretModel {
  @Field() name!: string;
  @Field({ description: 'env:NAME or file:/path, resolved on the agent.' }) secretRef!: string;
}

@ObjectType('HttpConnectionOptions', {
  description: 'HTTP connections: the options the connection was created with (secret references, never secrets).',
})
export class HttpConnectionOptionsModel {
  @Field({ description: 'raw | bearer | basic: how secretRef is written in authHeaderName.' }) authScheme!: string;
  @Field(() => String, { nullable: true, description: 'A query parameter set to the secret of secretRef.' })
  authQueryParam!: string | null;
  @Field(() => [HttpHeaderSecretModel], { description: 'More headers set from secret references.' })
  extraHeaders!: HttpHeaderSecretModel[];
  @Field(() => String, { nullable: true, description: 'A header callers may send their Postern credential in.' })
  credentialHeader!: string | null;
  @Field(() => String, { nullable: true, description: 'A cookie callers may send their Postern credential in.' })
  credentialCookie!: string | null;
  @Field(() => Int, { description: 'Seconds a held request waits before a 409 with the review id.' })
  approvalHoldSeconds!: number;
  @Field({ description: "Whether the agent's signed identity assertion header is sent." })
  identityAssertion!: boolean;

  /** The options of an HTTP connection's settings (strings, as the validator stored them). */
  static from(settings: ConnectionSettings): HttpConnectionOptionsModel {
    let extraHeaders: HttpHeaderSecretModel[] = [];
    try {
      const parsed = JSON.parse(settings.extraHeaders ?? '{}') as Record<string, unknown>;
      extraHeaders = Object.entries(parsed)
        .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
        .map(([name, secretRef]) => Object.assign(new HttpHeaderSecretModel(), { name, secretRef }));
    } catch {
      // Settings are validated when written; an unreadable value shows as no extra headers.
    }
    return Object.assign(new HttpConnectionOptionsModel(), {
      authScheme: settings.authScheme ?? 'raw',
      authQueryParam: settings.authQueryParam ?? null,
      extraHeaders,
      credentialHeader: settings.credentialHeader ?? null,
      credentialCookie: settings.credentialCookie ?? null,
      approvalHoldSeconds: Number(settings.approvalHoldSeconds ?? 30),
      identityAssertion: settings.identityAssertion === 'true',
    });
  }
}

@ObjectType('Connection', { description: 'A target reachable through Postern. Its secret never leaves the agent.' })
export class ConnectionModel {
  @Field(() => ID) id!: string;
  @Field({ description: 'What clients name: the PostgreSQL dbname.' }) name!: string;
  @Field(() => ConnectionProtocolEnum) protocol!: string;
  @Field(() => ID, { nullable: true }) agentId!: string | null;
  @Field(() => ID, { nullable: true, description: 'Served by any online agent of this group.' })
  agentGroupId!: string | null;
  @Field() targetHost!: string;
  @Field(() => Int) targetPort!: number;
  @Field(() => String, { nullable: true }) targetDatabase!: string | null;
  @Field(() => String, { nullable: true }) targetUser!: string | null;
  @Field(() => String, { nullable: true, description: 'env:NAME or file:/path on the agent.' }) secretRef!:
    string | null;
  @Field() tlsMode!: string;
  @Field(() => String, { nullable: true }) tlsCaRef!: string | null;
  @Field(() => String, { nullable: true, description: 'KUBERNETES, HTTP: the base URL.' }) url!: string | null;
  @Field(() => String, { nullable: true, description: 'SSH: the host key fingerprint (SHA256:…).' })
  hostKeyFingerprint!: string | null;
  @Field(() => String, { nullable: true, description: 'HTTP: the header set to the secret.' })
  authHeaderName!: string | null;
  @Field(() => [String], { description: 'SSH: where ssh -L may lead (host:port, IPv6 in brackets); empty: nowhere.' })
  forwardDestinations!: string[];
  @Field(() => HttpConnectionOptionsModel, {
    nullable: true,
    description: 'HTTP: its options; null for other protocols.',
  })
  http!: HttpConnectionOptionsModel | null;
  @Field() recordingMode!: string;
  @Field() createdAt!: Date;

  static from(c: Connection): ConnectionModel {
    const { settings, ...fields } = c;
    return Object.assign(new ConnectionModel(), fields, {
      url: settings.url ?? null,
      hostKeyFingerprint: settings.hostKeyFingerprint ?? null,
      authHeaderName: settings.authHeaderName ?? null,
      forwardDestinations: forwardDestinationList(settings.forwardDestinations),
      http: c.protocol === 'HTTP' ? HttpConnectionOptionsModel.from(settings) : null,
    });
  }
}

@InputType('HttpHeaderSecretInput', { description: 'A request header the agent sets to a secret.' })
export class HttpHeaderSecretInput {
  @Field() name!: string;
  @Field({ description: 'env:NAME or file:/path, resolved on the agent.' }) secretRef!: string;
}

@InputType('HttpConnectionOptionsInput', { description: 'HTTP connections: injection, credential places, holds.' })
export class HttpConnectionOptionsInput {
  @Field(() => String, {
    nullable: true,
    description: 'raw (default) | bearer | basic: how secretRef is written in authHeaderName.',
  })
  authScheme?: string | null;
  @Field(() => String, { nullable: true, description: 'A query parameter set to the secret of secretRef.' })
  authQueryParam?: string | null;
  @Field(() => [HttpHeaderSecretInput], { nullable: true, description: 'More headers set from secret references.' })
  extraHeaders?: HttpHeaderSecretInput[] | null;
  @Field(() => String, { nullable: true, description: 'A header callers may send their Postern credential in.' })
  credentialHeader?: string | null;
  @Field(() => String, { nullable: true, description: 'A cookie callers may send their Postern credential in.' })
  credentialCookie?: string | null;
  @Field(() => Int, {
    nullable: true,
    description: 'Seconds a held request waits before a 409 with the review id (default 30).',
  })
  approvalHoldSeconds?: number | null;
  @Field(() => Boolean, { nullable: true, description: "Send the agent's signed identity assertion header." })
  identityAssertion?: boolean | null;
}

@InputType('CreateConnectionInput')
export class CreateConnectionInput {
  @Field() name!: string;
  @Field(() => ConnectionProtocolEnum) protocol!: ConnectionProtocolEnum;
  @Field(() => ID, { nullable: true, description: 'The agent serving it; or give agentGroupId.' })
  agentId?: string | null;
  @Field(() => ID, { nullable: true, description: 'An agent group whose members all serve it; or give agentId.' })
  agentGroupId?: string | null;
  @Field(() => String, { nullable: true, description: 'POSTGRES, MYSQL, SSH (KUBERNETES and HTTP take url).' })
  targetHost?: string | null;
  @Field(() => Int, { nullable: true, description: "Default: the protocol's port (5432, 3306, 22)." })
  targetPort?: number | null;
  @Field(() => String, { nullable: true }) targetDatabase?: string | null;
  @Field(() => String, { nullable: true }) targetUser?: string | null;
  @Field(() => String, { nullable: true, description: 'env:NAME or file:/path, resolved on the agent.' }) secretRef?:
    string | null;
  @Field(() => String, {
    nullable: true,
    description:
      'disable | prefer | require | verify-ca | verify-full (default: prefer for databases, verify-full for https, ' +
      'disable for SSH and http)',
  })
  tlsMode?: string | null;
  @Field(() => String, { nullable: true }) tlsCaRef?: string | null;
  @Field(() => String, { nullable: true, description: 'KUBERNETES: the API server URL; HTTP: the base URL.' })
  url?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'SSH: the target host key, SHA256:… as ssh-keygen -l prints it.',
  })
  hostKeyFingerprint?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'HTTP: the header the agent sets to the secret of secretRef (default Authorization).',
  })
  authHeaderName?: string | null;
  @Field(() => HttpConnectionOptionsInput, { nullable: true, description: 'HTTP only.' })
  http?: HttpConnectionOptionsInput | null;
  @Field(() => [String], {
    nullable: true,
    description:
      'SSH: the destinations ssh -L may reach through the target host, as host:port (a host name, an IPv4 ' +
      'address or [IPv6]:port; exact, no wildcards). Absent or empty: local forwarding is refused.',
  })
  forwardDestinations?: string[] | null;
}

@InputType('SetConnectionServerInput', { description: 'Exactly one of agentId and agentGroupId.' })
export class SetConnectionServerInput {
  @Field(() => ID, { nullable: true }) agentId?: string | null;
  @Field(() => ID, { nullable: true }) agentGroupId?: string | null;
}
