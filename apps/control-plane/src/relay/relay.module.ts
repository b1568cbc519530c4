import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { AgentsModule } from '../agents/agents.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { FRONT_DOORS, type FrontDoor } from './core/front-door.js';
import { InternalLinkClient } from './core/internal-link.client.js';
import { InternalLinkServer } from './core/internal-link.server.js';
import { RelayDataServer } from './core/relay-data.server.js';
import { RelayListeners } from './core/relay-listeners.js';
import { RelayRouter } from './core/relay-router.js';
import { StreamDirectory } from './core/stream-directory.js';
import { TunnelBroker } from './core/tunnel-broker.js';
import { FRONT_DOOR_CLASSES } from './front-doors.js';
import { GatewayResolver } from './gateway.resolver.js';
import { CancelRoutes } from './postgres/cancel-routes.js';
import { ConnectionHostKeysResolver } from './ssh/connection-host-keys.resolver.js';

/**
 * The relay: a protocol-neutral core (`core/`: listeners and limits, login check and routing,
 * tunnel tickets and the data port, the stream directory and the internal link between replicas)
 * and one front door per protocol (`postgres/`, …) registered in `front-doors.ts`.
 */
@Module({
  imports: [AccessModule, AgentsModule, ConnectionsModule],
  providers: [
    TunnelBroker,
    RelayDataServer,
    RelayRouter,
    RelayListeners,
    StreamDirectory,
    InternalLinkClient,
    InternalLinkServer,
    CancelRoutes,
    GatewayResolver,
    ConnectionHostKeysResolver,
    ...FRONT_DOOR_CLASSES,
    {
      provide: FRONT_DOORS,
      useFactory: (...doors: FrontDoor[]) => doors,
      inject: [...FRONT_DOOR_CLASSES],
    },
  ],
})
export class RelayModule {}
