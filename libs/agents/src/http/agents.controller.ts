import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { actorOf, RequireRole } from '@runyard/auth';
import { NotFoundError } from '@runyard/runs';
import { AGENT_ID } from '../agent';
import { AgentsService } from '../agents.service';
import { AgentView, NewAgentView } from './agent.view';
import { CreateAgentDto, UpdateAgentDto } from './agents.dto';

const checked = (id: string): string => {
  if (!AGENT_ID.test(id)) throw new NotFoundError(`agent ${id} does not exist`);
  return id;
};

/** Agents as the admin manages them. Every write is in the audit trail, like every write. */
@ApiTags('Agents')
@Controller('api/v1/agents')
@RequireRole('admin')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  /** The secret is in this answer and nowhere else, ever. */
  @ApiOperation({ summary: 'Register a runner agent' })
  @ApiResponse({ status: 201, type: NewAgentView, description: 'the agent with its secret, shown this once' })
  @ApiResponse({ status: 409, description: 'the id is taken' })
  @Post()
  @HttpCode(201)
  create(@Body() body: CreateAgentDto, @Req() req: Request) {
    return this.agents.create(
      { id: body.id, name: body.name, tags: body.tags, maxConcurrency: body.max_concurrency },
      actorOf(req)?.name ?? 'anonymous',
    );
  }

  @ApiOperation({ summary: 'List the runner agents' })
  @ApiResponse({ status: 200, type: [AgentView], description: 'never their secrets' })
  // Status, tags and load are what every viewer of runs needs to see; secrets are never in an answer.
  @RequireRole('viewer')
  @Get()
  list() {
    return this.agents.list();
  }

  @ApiOperation({ summary: 'Get a runner agent' })
  @ApiResponse({ status: 200, type: AgentView, description: 'its status and load' })
  @ApiResponse({ status: 404, description: 'no such agent' })
  @RequireRole('viewer')
  @Get(':agentId')
  get(@Param('agentId') id: string) {
    return this.agents.get(checked(id));
  }

  @ApiOperation({ summary: 'Change a runner agent' })
  @ApiResponse({
    status: 200,
    type: AgentView,
    description: 'tags, cap, disabled, drain; rotate_secret: the agent replaces its secret on its next heartbeat',
  })
  @ApiResponse({ status: 404, description: 'no such agent' })
  @Patch(':agentId')
  update(@Param('agentId') id: string, @Body() body: UpdateAgentDto) {
    return this.agents.update(checked(id), {
      name: body.name,
      tags: body.tags === undefined ? undefined : [...new Set(body.tags)],
      maxConcurrency: body.max_concurrency,
      disabled: body.disabled,
      drainRequested: body.drain,
      rotateRequested: body.rotate_secret === true,
    });
  }

  /** A new secret, shown once; the old one stops working now. */
  @ApiOperation({ summary: 'Replace an agent’s secret now' })
  @ApiResponse({
    status: 200,
    description: 'the new secret, shown this once; the old one stops working',
    schema: {
      type: 'object',
      properties: { id: { type: 'string' }, secret: { type: 'string' } },
      example: { id: 'gpu-1', secret: 'qe9aZe1Qs8ECLqDl3pboUB6sw8R4GHcoT4k01pQ5Zu8' },
    },
  })
  @ApiResponse({ status: 404, description: 'no such agent' })
  @Post(':agentId/rotate-secret')
  @HttpCode(200)
  rotate(@Param('agentId') id: string) {
    return this.agents.rotateSecret(checked(id));
  }

  @ApiOperation({ summary: 'Delete a runner agent' })
  @ApiResponse({ status: 204, description: 'deleted' })
  @ApiResponse({ status: 404, description: 'no such agent' })
  @ApiResponse({ status: 409, description: 'it holds runs' })
  @Delete(':agentId')
  @HttpCode(204)
  async delete(@Param('agentId') id: string): Promise<void> {
    await this.agents.delete(checked(id));
  }
}
