import { Module } from '@nestjs/common';
import { RunsRepository } from '@runyard/runs';
import { AgentJobsService } from '../agent-jobs.service';
import { AgentLinkService } from '../agent-link.service';
import { AgentsRepository } from '../agents.repository';
import { AgentsService } from '../agents.service';
import { AutomnHostService } from '../automn-host.service';
import { DispatchKeys } from '../dispatch-keys.service';
import { OutboundAddresses } from '../outbound-addresses';
import { WakeUps } from '../wake-ups';
import { AgentJobsController } from './agent-jobs.controller';
import { AgentLinkController } from './agent-link.controller';
import { AgentSecretGuard, JobTokenGuard } from './agent.guards';
import { AgentsController } from './agents.controller';
import { AutomnHostController } from './automn-host.controller';

/** The API's side: the admin's routes, the agents' routes (pull protocol), Automn's host route. */
@Module({
  controllers: [AgentsController, AgentLinkController, AgentJobsController, AutomnHostController],
  providers: [
    AgentsRepository,
    RunsRepository,
    WakeUps,
    DispatchKeys,
    OutboundAddresses,
    AgentsService,
    AgentLinkService,
    AgentJobsService,
    AutomnHostService,
    AgentSecretGuard,
    JobTokenGuard,
  ],
  exports: [AgentsService],
})
export class AgentsApiModule {}
