import { Inject, Injectable } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from '@postern/logging';
import type { TunnelFrame__Output, TunnelHandlers } from '@postern/proto';
import { AgentsService } from '../agents/agents.service.js';
import { bearerFrom } from '../agents/control-stream.js';
import { toGrpcStatus } from '../platform/errors/domain-error.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { TunnelBroker, type TunnelCall } from './tunnel-broker.js';

const FIRST_FRAME_TIMEOUT_MS = 5_000;

/** The `Tunnel` service: an authenticated agent answers an OpenTunnel request with this stream. */
@Injectable()
export class TunnelGrpcHandlers {
  constructor(
    private readonly agents: AgentsService,
    private readonly broker: TunnelBroker,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  handlers(): TunnelHandlers {
    return {
      Open: (call: TunnelCall) => {
        const fail = (code: GrpcStatus, details: string) => call.emit('error', { code, details });
        this.agents.authenticate(bearerFrom(call)).then(
          (agent) => {
            const timer = setTimeout(
              () => fail(GrpcStatus.DEADLINE_EXCEEDED, 'first tunnel frame must be open'),
              FIRST_FRAME_TIMEOUT_MS,
            );
            call.once('data', (frame: TunnelFrame__Output) => {
              clearTimeout(timer);
              if (frame.body !== 'open' || !frame.open)
                return fail(GrpcStatus.FAILED_PRECONDITION, 'first tunnel frame must be open');
              if (!this.broker.accept(agent.id, frame.open.tunnelId, call)) {
                this.logger.warn({ agentId: agent.id }, 'tunnel stream for an unknown or expired tunnel id');
                return fail(GrpcStatus.NOT_FOUND, 'no such tunnel');
              }
            });
            call.on('error', () => clearTimeout(timer));
          },
          (error: unknown) => {
            const { code, details } = toGrpcStatus(error);
            fail(code, details);
          },
        );
      },
    };
  }
}
