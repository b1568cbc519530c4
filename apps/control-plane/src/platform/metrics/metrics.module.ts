import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics.service.js';

/** Prometheus metrics, injectable everywhere (modules count their own events). */
@Global()
@Module({ providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}
