import { Module, type OnModuleInit } from '@nestjs/common';
import { agentV1 } from '@postern/proto';
import { AgentsModule } from '../agents/agents.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { LiveModule } from '../platform/live/live.module.js';
import { GrpcServerService } from '../platform/infra/grpc/grpc-server.service.js';
import { RecordingGrpcHandlers } from './recording.grpc.js';
import { RecordingReplayService } from './recording-replay.service.js';
import { RecordingRetentionSweeper } from './recording-retention.sweeper.js';
import { RecordingVerifier } from './recording-verifier.js';
import { RecordingsRepository } from './recordings.repository.js';
import { RecordingsResolver } from './recordings.resolver.js';
import { RecordingsService } from './recordings.service.js';
import { SessionEventsResolver } from './session-events.resolver.js';
import { SessionTail } from './session-tail.js';

@Module({
  imports: [AgentsModule, AuditModule, LiveModule],
  providers: [
    RecordingsRepository,
    RecordingsService,
    RecordingVerifier,
    RecordingReplayService,
    RecordingsResolver,
    RecordingGrpcHandlers,
    RecordingRetentionSweeper,
    SessionTail,
    SessionEventsResolver,
  ],
})
export class RecordingsModule implements OnModuleInit {
  constructor(
    private readonly grpc: GrpcServerService,
    private readonly recording: RecordingGrpcHandlers,
  ) {}

  onModuleInit(): void {
    this.grpc.register({ definition: agentV1().Recording.service, implementation: this.recording.handlers() }, () =>
      this.recording.stop(),
    );
  }
}
