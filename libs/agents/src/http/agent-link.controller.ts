import { Body, Controller, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '@runyard/auth';
import { AgentLinkService } from '../agent-link.service';
import { AgentSecretGuard } from './agent.guards';
import type { AgentRequest } from './agent.guards';
import { AgentReportDto, CommandResultDto, PollDto } from './agents.dto';

/** What a pull agent calls with its own secret (not an API token). */
@ApiTags('Agent protocol')
@Controller('api/v1/agents/:agentId')
@Public()
@UseGuards(AgentSecretGuard)
export class AgentLinkController {
  constructor(private readonly link: AgentLinkService) {}

  @ApiOperation({ summary: 'An agent reports (its secret as the bearer)' })
  @ApiResponse({
    status: 200,
    description: 'when to report again, whether to rotate its secret, runs that are not its own any more',
    schema: {
      type: 'object',
      properties: {
        heartbeat_ms: { type: 'integer' },
        long_poll_ms: { type: 'integer' },
        rotate: { type: 'boolean' },
        drop: { type: 'array', items: { type: 'integer' } },
      },
      example: { heartbeat_ms: 10000, long_poll_ms: 25000, rotate: false, drop: [] },
    },
  })
  @Post('heartbeat')
  @HttpCode(200)
  heartbeat(@Req() req: AgentRequest, @Body() body: AgentReportDto) {
    return this.link.heartbeat(req.agent, body, req.outdatedSecret);
  }

  /** Long poll: answered when there is work, a signal or a command for the agent, or after AGENT_LONG_POLL_MS. */
  @ApiOperation({ summary: 'An agent waits for work (long poll; its secret as the bearer)' })
  @ApiResponse({
    status: 200,
    description: 'runs handed to it (each with a job token), signals for its runs, commands; empty after AGENT_LONG_POLL_MS',
    schema: {
      type: 'object',
      properties: {
        jobs: { type: 'array', items: { type: 'object' } },
        signals: { type: 'array', items: { type: 'object' } },
        commands: { type: 'array', items: { type: 'object' } },
      },
      example: { jobs: [], signals: [], commands: [] },
    },
  })
  @Post('poll')
  @HttpCode(200)
  poll(@Req() req: AgentRequest, @Body() body: PollDto, @Res({ passthrough: true }) res: Response) {
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    return this.link.poll(req.agent, req.agentSecret, body, gone.signal);
  }

  @ApiOperation({ summary: 'An agent replaces its secret (its secret as the bearer)' })
  @ApiResponse({
    status: 200,
    description: 'the new secret; the presented one works until the new one is used',
    schema: {
      type: 'object',
      properties: { secret: { type: 'string' } },
      example: { secret: 'qe9aZe1Qs8ECLqDl3pboUB6sw8R4GHcoT4k01pQ5Zu8' },
    },
  })
  @Post('rotate')
  @HttpCode(200)
  rotate(@Req() req: AgentRequest) {
    return this.link.rotate(req.agent, req.agentSecret);
  }

  @ApiOperation({ summary: 'An agent answers a command (its secret as the bearer)' })
  @ApiResponse({ status: 204, description: 'stored' })
  @ApiResponse({ status: 404, description: 'no such command of this agent' })
  @Post('commands/:commandId/result')
  @HttpCode(204)
  async commandResult(@Req() req: AgentRequest, @Param('commandId') id: string, @Body() body: CommandResultDto): Promise<void> {
    await this.link.commandResult(req.agent, id, body);
  }
}
