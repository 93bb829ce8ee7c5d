import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { Public } from '@runyard/auth';
import { AgentJobsService } from '../agent-jobs.service';
import { FinishedToo, JobTokenGuard } from './agent.guards';
import type { AgentRequest } from './agent.guards';
import { FinishDto, OutputChunkDto, StartedDto } from './agents.dto';

/** A run's routes on its agent's side, with the run's job token. */
@Controller('api/v1/agent-jobs/:runId')
@Public()
@UseGuards(JobTokenGuard)
export class AgentJobsController {
  constructor(private readonly jobs: AgentJobsService) {}

  @Get()
  state(@Req() req: AgentRequest) {
    return this.jobs.state(req.assignment);
  }

  @Post('accept')
  @HttpCode(204)
  async accept(@Req() req: AgentRequest): Promise<void> {
    await this.jobs.accept(req.assignment);
  }

  @Post('decline')
  @HttpCode(204)
  async decline(@Req() req: AgentRequest): Promise<void> {
    await this.jobs.decline(req.assignment);
  }

  @Post('started')
  @HttpCode(204)
  async started(@Req() req: AgentRequest, @Body() body: StartedDto): Promise<void> {
    await this.jobs.started(req.assignment, body);
  }

  @Post('output')
  @HttpCode(200)
  output(@Req() req: AgentRequest, @Body() body: OutputChunkDto) {
    return this.jobs.output(req.assignment, body);
  }

  @Post('finish')
  @HttpCode(204)
  @FinishedToo()
  async finish(@Req() req: AgentRequest, @Body() body: FinishDto): Promise<void> {
    await this.jobs.finish(req.assignment, body);
  }
}
