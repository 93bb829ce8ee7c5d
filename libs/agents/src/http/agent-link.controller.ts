import { Body, Controller, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '@runyard/auth';
import { AgentLinkService } from '../agent-link.service';
import { AgentSecretGuard } from './agent.guards';
import type { AgentRequest } from './agent.guards';
import { AgentReportDto, CommandResultDto, PollDto } from './agents.dto';

/** What a pull agent calls with its own secret (not an API token). */
@Controller('api/v1/agents/:agentId')
@Public()
@UseGuards(AgentSecretGuard)
export class AgentLinkController {
  constructor(private readonly link: AgentLinkService) {}

  @Post('heartbeat')
  @HttpCode(200)
  heartbeat(@Req() req: AgentRequest, @Body() body: AgentReportDto) {
    return this.link.heartbeat(req.agent, body, req.outdatedSecret);
  }

  /** Long poll: answered when there is work, a signal or a command for the agent, or after AGENT_LONG_POLL_MS. */
  @Post('poll')
  @HttpCode(200)
  poll(@Req() req: AgentRequest, @Body() body: PollDto, @Res({ passthrough: true }) res: Response) {
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    return this.link.poll(req.agent, req.agentSecret, body, gone.signal);
  }

  @Post('rotate')
  @HttpCode(200)
  rotate(@Req() req: AgentRequest) {
    return this.link.rotate(req.agent, req.agentSecret);
  }

  @Post('commands/:commandId/result')
  @HttpCode(204)
  async commandResult(@Req() req: AgentRequest, @Param('commandId') id: string, @Body() body: CommandResultDto): Promise<void> {
    await this.link.commandResult(req.agent, id, body);
  }
}
