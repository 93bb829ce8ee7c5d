import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NoSuch } from '../docs/refusals';
import type { Request, Response } from 'express';
import type { Run } from '@runyard/persistence';
import { runCommand } from '@runyard/autosubmit';
import { RunnerTypes } from '@runyard/runners';
import { asBadInput, BadInputError, RunsRepository, RunsService, RunWakeups } from '@runyard/runs';
import { requesterOf } from '../common/requester';
import { recordId } from '../common/validation';
import { LogFollower, streamFrames } from './log-follower';
import { ErrorFrame, followContent, LogLineFrame, ResultFrame } from './log-frames';
import { presentRun, RunPage, RunView } from './run.presenter';
import { ListRunsQuery, StopRunDto, SubmitRunDto } from './runs.dto';

/** Runyard's own API over runs. */
@ApiTags('Runs')
@Controller('api/v1/runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly repo: RunsRepository,
    private readonly runners: RunnerTypes,
    private readonly wakeups: RunWakeups,
  ) {}

  private present = (run: Run) => presentRun(run, this.runners);

  /** Accepts a run and answers at once (202); follow it with GET /api/v1/runs/:id. */
  @ApiOperation({ summary: 'Submit a run of an experiment' })
  @ApiResponse({
    status: 202,
    type: RunView,
    description: 'the accepted run (not waiting for it to start); follow it with GET /api/v1/runs/{id}',
  })
  @NoSuch('profile')
  @ApiResponse({ status: 409, description: 'the experiment is already running' })
  @Post()
  @HttpCode(202)
  async submit(@Body() body: SubmitRunDto, @Req() req: Request) {
    const resolved = await this.runs.profile(body.profile_name, body.profile_params);
    const command = asBadInput(() => runCommand(body.expid));
    const run = await this.runs.submit({ kind: 'run', expid: body.expid, command, profile: resolved, requestedBy: requesterOf(req) });
    return this.present(run);
  }

  @ApiOperation({ summary: 'List runs, newest first' })
  @ApiResponse({
    status: 200,
    type: RunPage,
    description:
      'filtered by the query (experiment, status, kind, profile, agent, requester); pass next_before as before for the next page',
  })
  @Get()
  async list(@Query() q: ListRunsQuery) {
    const limit = q.limit ?? 50;
    const filter = { expid: q.expid, status: q.status, kind: q.kind, profile: q.profile, agent: q.agent, requestedBy: q.requester };
    const [runs, total] = await Promise.all([this.runs.list({ ...filter, before: q.before, limit }), this.runs.count(filter)]);
    return { runs: runs.map(this.present), next_before: runs.length === limit ? runs[runs.length - 1].id : null, total };
  }

  @ApiOperation({ summary: 'Get a run' })
  @ApiResponse({ status: 200, type: RunView, description: 'the run: status, why, exit code, argv' })
  @NoSuch('run')
  @Get(':id')
  async get(@Param('id', recordId) id: number) {
    return this.present(await this.runs.get(id));
  }

  /**
   * stdout and stderr as they arrived, as plain text; with `follow=true`, every line as an NDJSON
   * frame (Server-Sent Events with `Accept: text/event-stream`) until the run ends, then its result.
   */
  @ApiOperation({ summary: 'Read or follow a run’s output' })
  @ApiQuery({
    name: 'follow',
    required: false,
    enum: ['true', 'false', '1', '0'],
    description: 'stream until the run ends, then its result',
  })
  @ApiExtraModels(LogLineFrame, ResultFrame, ErrorFrame)
  @ApiProduces('text/plain', 'application/x-ndjson', 'text/event-stream')
  @ApiResponse({
    status: 200,
    description: 'stdout and stderr in arrival order; with follow=true one frame per line, then the result frame',
    content: followContent(),
  })
  @NoSuch('run')
  @Get(':id/logs')
  async logs(@Param('id', recordId) id: number, @Query('follow') follow: string | undefined, @Req() req: Request, @Res() res: Response) {
    if (parseFollow(follow)) {
      await this.runs.get(id); // 404 before anything is streamed
      const format = req.headers.accept?.includes('text/event-stream') ? 'sse' : 'ndjson';
      return streamFrames(res, format, (signal) => new LogFollower(this.repo, id, { signal, wakeups: this.wakeups }).frames());
    }
    const output = await this.runs.output(id);
    res.type('text/plain; charset=utf-8').send(output);
  }

  /** A finished run again, as a new run (202): the same command on the same settings. */
  @ApiOperation({ summary: 'Run a finished run again' })
  @ApiResponse({ status: 202, type: RunView, description: 'the new run: the same command on the same settings' })
  @ApiResponse({ status: 400, description: 'bad input: a path the input rules refuse, or the run is a Runner SDK session’s executor' })
  @NoSuch('run')
  @ApiResponse({
    status: 409,
    description:
      'the run is unfinished, its experiment is already running, or its profile no longer grants what it had (the profile, its RUN_AS, the script’s language)',
  })
  @Post(':id/resubmit')
  @HttpCode(202)
  async resubmit(@Param('id', recordId) id: number, @Req() req: Request) {
    return this.present(await this.runs.resubmit(id, requesterOf(req)));
  }

  @ApiOperation({ summary: 'Stop a run' })
  @ApiResponse({ status: 200, type: RunView, description: 'the run once ended (or still STOPPING after the grace periods)' })
  @NoSuch('run')
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
