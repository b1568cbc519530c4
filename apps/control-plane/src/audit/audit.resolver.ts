import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { Roles } from '../platform/auth/roles.decorator.js';
import { InvalidArgumentError } from '../platform/errors/domain-error.js';
import { AuditEventFilterInput, AuditEventModel, AuditEventPageModel } from './dto/audit-event.model.js';
import { AuditVerificationModel } from './dto/audit-verification.model.js';
import { AuditCheckpointKeyModel, AuditCheckpointModel } from './dto/audit-checkpoint.model.js';
import { AuditCheckpointService } from './audit-checkpoint.service.js';
import { AuditIntegrityService } from './audit-integrity.service.js';
import { AuditService } from './audit.service.js';

@Resolver()
export class AuditResolver {
  constructor(
    private readonly service: AuditService,
    private readonly integrity: AuditIntegrityService,
    private readonly checkpoints: AuditCheckpointService,
  ) {}

  @Query(() => AuditEventPageModel, { description: 'The audit log, newest first, one page at a time.' })
  @Roles('auditor')
  async auditEvents(
    @Args('filter', { type: () => AuditEventFilterInput, nullable: true }) filter?: AuditEventFilterInput | null,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 50, description: '1 to 500.' }) first = 50,
    @Args('after', { type: () => String, nullable: true, description: 'A nextCursor from the previous page.' })
    after?: string | null,
  ): Promise<AuditEventPageModel> {
    if (after && !/^\d{1,19}$/.test(after)) throw new InvalidArgumentError('after must be a nextCursor');
    const limit = Math.min(Math.max(first, 1), 500);
    const records = await this.service.list({
      sessionId: filter?.sessionId ?? undefined,
      connectionId: filter?.connectionId ?? undefined,
      agentId: filter?.agentId ?? undefined,
      actorId: filter?.actorId ?? undefined,
      decision: filter?.decision ?? undefined,
      ruleId: filter?.ruleId ?? undefined,
      kindPrefix: filter?.kindPrefix ?? undefined,
      from: filter?.from ?? undefined,
      to: filter?.to ?? undefined,
      beforeSeq: after ? BigInt(after) : undefined,
      limit,
    });
    const last = records.at(-1);
    return {
      events: records.map(AuditEventModel.from),
      nextCursor: records.length === limit && last ? last.seq.toString() : null,
    };
  }

  @Query(() => AuditVerificationModel, {
    description:
      "Recomputes the audit log's hash chain over fromSeq..toSeq (default: all of it) and names the first bad seq.",
  })
  @Roles('auditor')
  async verifyAuditLog(
    @CurrentActor() actor: Actor,
    @Args('fromSeq', { type: () => String, nullable: true, description: 'Decimal seq; default: the first event.' })
    fromSeq?: string | null,
    @Args('toSeq', { type: () => String, nullable: true, description: 'Decimal seq; default: the last event.' })
    toSeq?: string | null,
  ): Promise<AuditVerificationModel> {
    return AuditVerificationModel.from(await this.integrity.verify(actor, fromSeq, toSeq));
  }

  @Mutation(() => AuditCheckpointModel, {
    nullable: true,
    description: "Signs the audit chain's head now and publishes it to the logs (null: nothing is chained yet).",
  })
  @Roles('auditor')
  async publishAuditCheckpoint(@CurrentActor() actor: Actor): Promise<AuditCheckpointModel | null> {
    const published = await this.checkpoints.publishFor(actor);
    return published && AuditCheckpointModel.from(published);
  }

  @Query(() => AuditCheckpointKeyModel, { description: 'The public key that verifies audit checkpoints.' })
  @Roles('auditor')
  auditCheckpointKey(): AuditCheckpointKeyModel {
    return { keyId: this.checkpoints.keyId, publicKeyPem: this.checkpoints.publicKeyPem };
  }
}
