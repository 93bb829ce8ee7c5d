import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '@runyard/auth';
import { AgentJobsService } from '../agent-jobs.service';
import { FinishedToo, JobTokenGuard } from './agent.guards';
import type { AgentRequest } from './agent.guards';
import { FinishDto, OutputChunkDto, StartedDto } from './agents.dto';

/** A run's routes on its agent's side, with the run's job token. */
@ApiTags('Agent protocol')
@Controller('api/v1/agent-jobs/:runId')
@Public()
@UseGuards(JobTokenGuard)
export class AgentJobsController {
  constructor(private readonly jobs: AgentJobsService) {}

  @ApiOperation({ summary: 'A run’s state on the agent’s side (its job token as the bearer)' })
  @ApiResponse({
    status: 200,
    description: 'where the stored output ends',
    schema: {
      type: 'object',
      properties: {
        state: { type: 'string' },
        offsets: { type: 'object', properties: { stdout: { type: 'integer' }, stderr: { type: 'integer' } } },
      },
      example: { state: 'ACTIVE', offsets: { stdout: 5120, stderr: 0 } },
    },
  })
  @Get()
  state(@Req() req: AgentRequest) {
    return this.jobs.state(req.assignment);
  }

  @ApiOperation({ summary: 'An agent takes a run' })
  @ApiResponse({ status: 204, description: 'taken' })
  @ApiResponse({ status: 409, description: 'taken back' })
  @Post('accept')
  @HttpCode(204)
  async accept(@Req() req: AgentRequest): Promise<void> {
    await this.jobs.accept(req.assignment);
  }

  @ApiOperation({ summary: 'An agent hands a run back' })
  @ApiResponse({ status: 204, description: 'back to the queue' })
  @Post('decline')
  @HttpCode(204)
  async decline(@Req() req: AgentRequest): Promise<void> {
    await this.jobs.decline(req.assignment);
  }

  @ApiOperation({ summary: 'An agent started a run' })
  @ApiResponse({ status: 204, description: 'recorded' })
  @Post('started')
  @HttpCode(204)
  async started(@Req() req: AgentRequest, @Body() body: StartedDto): Promise<void> {
    await this.jobs.started(req.assignment, body);
  }

  @ApiOperation({ summary: 'An agent appends output at a byte offset' })
  @ApiResponse({
    status: 200,
    description: 'where the stored stream ends: a chunk sent again is not stored twice',
    schema: {
      type: 'object',
      properties: { appended: { type: 'boolean' }, offset: { type: 'integer' } },
      example: { appended: true, offset: 5120 },
    },
  })
  @Post('output')
  @HttpCode(200)
  output(@Req() req: AgentRequest, @Body() body: OutputChunkDto) {
    return this.jobs.output(req.assignment, body);
  }

  @ApiOperation({ summary: 'An agent reports a run’s end' })
  @ApiResponse({ status: 204, description: 'recorded (idempotent)' })
  @ApiResponse({ status: 409, description: 'not all its output is stored yet: the body has the stored offsets' })
  @Post('finish')
  @HttpCode(204)
  @FinishedToo()
  async finish(@Req() req: AgentRequest, @Body() body: FinishDto): Promise<void> {
    await this.jobs.finish(req.assignment, body);
  }
}
