import { Module } from '@nestjs/common';
import { AGENT_DISPATCH } from '@runyard/runners';
import { RunsRepository } from '@runyard/runs';
import { AgentDispatchService } from './agent-dispatch.service';
import { AgentsRepository } from './agents.repository';
import { DispatchKeys } from './dispatch-keys.service';
import { OutboundAddresses } from './outbound-addresses';
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
