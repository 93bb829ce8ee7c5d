import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Run } from '@runyard/persistence';
import { runCommand } from '@runyard/autosubmit';
import { RunnerTypes } from '@runyard/runners';
import { asBadInput, BadInputError, RunsRepository, RunsService } from '@runyard/runs';
import { requesterOf } from '../common/requester';
import { recordId } from '../common/validation';
import { LogFollower, streamFrames } from './log-follower';
import { presentRun } from './run.presenter';
import { ListRunsQuery, StopRunDto, SubmitRunDto } from './runs.dto';

/** Runyard's own API over runs. */
@Controller('api/v1/runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly repo: RunsRepository,
    private readonly runners: RunnerTypes,
  ) {}

  private present = (run: Run) => presentRun(run, this.runners);

  /** Accepts a run and answers at once (202); follow it with GET /api/v1/runs/:id. */
  @Post()
  @HttpCode(202)
  async submit(@Body() body: SubmitRunDto, @Req() req: Request) {
    const resolved = await this.runs.profile(body.profile_name, body.profile_params);
    const command = asBadInput(() => runCommand(body.expid));
    const run = await this.runs.submit({ kind: 'run', expid: body.expid, command, profile: resolved, requestedBy: requesterOf(req) });
    return this.present(run);
  }

  @Get()
  async list(@Query() q: ListRunsQuery) {
    const limit = q.limit ?? 50;
    const filter = { expid: q.expid, status: q.status, kind: q.kind, profile: q.profile, agent: q.agent, requestedBy: q.requester };
    const [runs, total] = await Promise.all([this.runs.list({ ...filter, before: q.before, limit }), this.runs.count(filter)]);
    return { runs: runs.map(this.present), next_before: runs.length === limit ? runs[runs.length - 1].id : null, total };
  }

  @Get(':id')
  async get(@Param('id', recordId) id: number) {
    return this.present(await this.runs.get(id));
  }

  /**
   * stdout and stderr as they arrived, as plain text; with `follow=true`, every line as an NDJSON
   * frame (Server-Sent Events with `Accept: text/event-stream`) until the run ends, then its result.
   */
  @Get(':id/logs')
  async logs(@Param('id', recordId) id: number, @Query('follow') follow: string | undefined, @Req() req: Request, @Res() res: Response) {
    if (parseFollow(follow)) {
      await this.runs.get(id); // 404 before anything is streamed
      const format = req.headers.accept?.includes('text/event-stream') ? 'sse' : 'ndjson';
      return streamFrames(res, format, (signal) => new LogFollower(this.repo, id, { signal }).frames());
    }
    const output = await this.runs.output(id);
    res.type('text/plain; charset=utf-8').send(output);
  }

  /** A finished run again, as a new run (202): the same command on the same settings. */
  @Post(':id/resubmit')
  @HttpCode(202)
  async resubmit(@Param('id', recordId) id: number, @Req() req: Request) {
    return this.present(await this.runs.resubmit(id, requesterOf(req)));
  }

  @Post(':id/stop')
  @HttpCode(200)
  async stop(@Param('id', recordId) id: number, @Body() body: StopRunDto, @Req() req: Request) {
    return this.present(await this.runs.stopRun(id, body?.force === true, requesterOf(req)));
  }
}

function parseFollow(value: string | undefined): boolean {
  if (value === undefined || value === 'false' || value === '0' || value === '') return false;
  if (value === 'true' || value === '1') return true;
  throw new BadInputError('follow must be true or false');
}
