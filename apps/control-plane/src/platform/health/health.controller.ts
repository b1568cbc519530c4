import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator.js';
import { HealthService } from './health.service.js';

/** Kubernetes probes. Unauthenticated by design; they reveal nothing but up/down per dependency. */
@Controller()
@Public()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('healthz')
  @HttpCode(200)
  liveness() {
    return this.health.liveness();
  }

  @Get('readyz')
  async readiness(@Res({ passthrough: true }) response: Response) {
    const report = await this.health.readiness();
    response.status(report.ready ? 200 : 503);
    return report;
  }
}
