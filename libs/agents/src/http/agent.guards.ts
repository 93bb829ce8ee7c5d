import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { bearerToken } from '@runyard/auth';
import { BadInputError } from '@runyard/runs';
import type { AgentRecord } from '../agent';
import { AgentJobsService } from '../agent-jobs.service';
import { AgentLinkService } from '../agent-link.service';
import type { Assignment } from '../agents.repository';

export type AgentRequest = Request & {
  agent: AgentRecord;
  agentSecret: string;
  /** It presented the secret a rotation replaced. */
  outdatedSecret: boolean;
  assignment: Assignment;
  actor?: { name: string; role: 'viewer' };
};

/** The agent's own routes: `Authorization: Bearer <its secret>`, for the agent the path names. */
@Injectable()
export class AgentSecretGuard implements CanActivate {
  constructor(private readonly link: AgentLinkService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AgentRequest>();
    const secret = bearerToken(req.headers.authorization);
    const { agent, outdated } = await this.link.authenticate(String(req.params.agentId), secret);
    Object.assign(req, { agent, outdatedSecret: outdated, agentSecret: secret });
    // The audit trail names the agent.
    req.actor = { name: `agent:${req.agent.id}`, role: 'viewer' };
    return true;
  }
}

const FINISHED_TOO = 'runyard:job-token-finished-too';
/** The route also takes the token of a run that already finished (a repeated finish). */
export const FinishedToo = () => SetMetadata(FINISHED_TOO, true);

/** A run's routes: `Authorization: Bearer <its job token>`, for the run the path names only. */
@Injectable()
export class JobTokenGuard implements CanActivate {
  constructor(
    private readonly jobs: AgentJobsService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AgentRequest>();
    const raw = String(req.params.runId);
    if (!/^\d{1,9}$/.test(raw)) throw new BadInputError('the run id must be a whole number');
    const finishedToo = this.reflector.get<boolean>(FINISHED_TOO, context.getHandler()) === true;
    req.assignment = await this.jobs.authenticate(Number(raw), bearerToken(req.headers.authorization), finishedToo);
    req.actor = { name: `agent:${req.assignment.agentId}`, role: 'viewer' };
    return true;
  }
}
