import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from '@postern/logging';
import { CurrentActor, type Actor } from '../platform/auth/actor.js';
import { Roles } from '../platform/auth/roles.decorator.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { AuditIntegrityService } from './audit-integrity.service.js';

/**
 * `GET /audit/export?fromSeq=&toSeq=&from=&to=&kind=`: the audit log as JSON Lines, in seq order,
 * streamed (bounded memory whatever the size). Authenticated by the same global guard as the
 * GraphQL API; auditors and admins only. Errors before the first byte are JSON with a status
 * (errors/http-errors.ts); a failure mid-stream aborts the response, so a cut export never looks
 * complete.
 */
@Controller('audit')
export class AuditExportController {
  constructor(
    private readonly integrity: AuditIntegrityService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get('export')
  @Roles('auditor')
  async export(
    @Query() query: Record<string, unknown>,
    @CurrentActor() actor: Actor,
    @Res() response: Response,
  ): Promise<void> {
    const filter = await this.integrity.startExport(actor, query);
    response.status(200);
    response.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Content-Disposition', 'attachment; filename="postern-audit.jsonl"');
    response.setHeader('X-Postern-Audit-To-Seq', String(filter.toSeq));
    try {
      for await (const lines of this.integrity.exportLines(filter)) {
        if (response.destroyed) return;
        if (!response.write(lines)) await drained(response);
      }
      response.end();
    } catch (error) {
      this.logger.error({ err: error }, 'audit export failed while streaming');
      response.destroy(error as Error);
    }
  }
}

/** Resolves when the client has read what was written, or went away. */
function drained(response: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
