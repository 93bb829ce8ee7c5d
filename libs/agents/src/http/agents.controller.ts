import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { actorOf, RequireRole } from '@runyard/auth';
import { NotFoundError } from '@runyard/runs';
import { AGENT_ID } from '../agent';
import { AgentsService } from '../agents.service';
import { CreateAgentDto, UpdateAgentDto } from './agents.dto';

const checked = (id: string): string => {
  if (!AGENT_ID.test(id)) throw new NotFoundError(`agent ${id} does not exist`);
  return id;
};

/** Agents as the admin manages them. Every write is in the audit trail, like every write. */
@Controller('api/v1/agents')
@RequireRole('admin')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  /** The secret is in this answer and nowhere else, ever. */
  @Post()
  @HttpCode(201)
  create(@Body() body: CreateAgentDto, @Req() req: Request) {
    return this.agents.create(
      { id: body.id, name: body.name, tags: body.tags, maxConcurrency: body.max_concurrency },
      actorOf(req)?.name ?? 'anonymous',
    );
  }

  @Get()
  list() {
    return this.agents.list();
  }

  @Get(':agentId')
  get(@Param('agentId') id: string) {
    return this.agents.get(checked(id));
  }

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
  @Post(':agentId/rotate-secret')
  @HttpCode(200)
  rotate(@Param('agentId') id: string) {
    return this.agents.rotateSecret(checked(id));
  }

  @Delete(':agentId')
  @HttpCode(204)
  async delete(@Param('agentId') id: string): Promise<void> {
    await this.agents.delete(checked(id));
  }
}
