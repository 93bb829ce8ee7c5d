import { Module } from '@nestjs/common';
import { AGENT_DISPATCH } from '@runyard/runners';
import { RunsRepository } from '@runyard/runs';
import { AgentDispatchService } from './agent-dispatch.service';
import { AgentJobsService } from './agent-jobs.service';
import { AgentLinkService } from './agent-link.service';
import { AgentsRepository } from './agents.repository';
import { AgentsService } from './agents.service';
import { AutomnHostService } from './automn-host.service';
import { DispatchKeys } from './dispatch-keys.service';
import { OutboundAddresses } from './outbound-addresses';
import { AgentJobsController } from './http/agent-jobs.controller';
import { AgentLinkController } from './http/agent-link.controller';
import { AgentSecretGuard, JobTokenGuard } from './http/agent.guards';
import { AgentsController } from './http/agents.controller';
import { AutomnHostController } from './http/automn-host.controller';
import { WakeUps } from './wake-ups';

/** The worker's side: the AGENT runner's dispatch (under AGENT_DISPATCH, which the runner asks its context for). */
@Module({
  providers: [
    AgentsRepository,
    RunsRepository,
    WakeUps,
    DispatchKeys,
    OutboundAddresses,
    AgentDispatchService,
    { provide: AGENT_DISPATCH, useExisting: AgentDispatchService },
  ],
  exports: [AGENT_DISPATCH],
})
export class AgentDispatchModule {}

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
