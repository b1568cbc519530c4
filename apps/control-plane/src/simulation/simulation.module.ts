import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { SimulationRepository } from './simulation.repository.js';
import { SimulationResolver } from './simulation.resolver.js';
import { SimulationService } from './simulation.service.js';

@Module({
  imports: [AuditModule],
  providers: [SimulationRepository, SimulationService, SimulationResolver],
})
export class SimulationModule {}
