import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { RequireRole } from '@runyard/auth';
import { requesterOf } from '../common/requester';
import { AutosubmitRunnersService } from './autosubmit-runners.service';
import { loaderName, runnerName, runnerStatus } from './runner-status.presenter';
import { AlphaCreateExperimentDto, AlphaCreateJobListDto, AlphaSetJobStatusDto, AlphaStopDto, RunnerSelectionDto } from './v4alpha.dto';
import { stopMessage } from './v4-runners.controller';

/** The Autosubmit API's /v4alpha runner routes (seed 000), request and response shapes unchanged. */
@Controller('v4alpha')
export class V4AlphaController {
  constructor(private readonly service: AutosubmitRunnersService) {}

  @Get('runner-detail')
  @RequireRole('operator') // a GET that executes `autosubmit -v`
  async detail(@Query() query: RunnerSelectionDto, @Req() req: Request) {
    const profile = this.service.selection(query);
    const run = await this.service.version(profile, requesterOf(req));
    return {
      runner: runnerName(run, 'v4alpha'),
      module_loader: loaderName(run, 'v4alpha'),
      modules: run.modules,
      version: (run.result?.version as string | undefined) ?? null,
    };
  }

  @Post('experiments/:expid/run-experiment')
  @HttpCode(200)
  async run(@Param('expid') expid: string, @Body() body: RunnerSelectionDto, @Req() req: Request) {
    const run = await this.service.run(expid, this.service.selection(body), requesterOf(req));
    return {
      expid,
      runner: runnerName(run, 'v4alpha'),
      module_loader: loaderName(run, 'v4alpha'),
      modules: run.modules.length === 0 ? null : run.modules.join(' '),
      runner_id: run.id,
      pid: run.pid,
    };
  }

  @Get('experiments/:expid/get-runner-status')
  async status(@Param('expid') expid: string) {
    return runnerStatus(expid, await this.service.status(expid), 'v4alpha');
  }

  @Post('experiments/:expid/stop-experiment')
  @HttpCode(200)
  async stop(@Param('expid') expid: string, @Body() body: AlphaStopDto, @Req() req: Request) {
    const run = await this.service.stop(expid, body?.force === true, requesterOf(req));
    return { message: stopMessage(expid, run.status), runner_id: run.id, detailed_status: run.status };
  }

  @Post('experiments/:expid/set-job-status')
  @HttpCode(200)
  async setJobStatus(@Param('expid') expid: string, @Body() body: AlphaSetJobStatusDto, @Req() req: Request) {
    const params = body.command_params ?? {};
    const run = await this.service.setJobStatus(expid, params, this.service.selection(body), requesterOf(req));
    return { message: `Job status of experiment ${expid} updated successfully.`, runner_id: run.id };
  }

  @Post('experiments/:expid/create-job-list')
  @HttpCode(200)
  async createJobList(@Param('expid') expid: string, @Body() body: AlphaCreateJobListDto, @Req() req: Request) {
    const { check_wrapper, update_version, force } = body;
    const run = await this.service.createJobList(
      expid,
      { check_wrapper, update_version, force },
      this.service.selection(body),
      requesterOf(req),
    );
    return { message: `Job list of experiment ${expid} created successfully.`, runner_id: run.id };
  }

  @Post('runner-create-experiment')
  @HttpCode(200)
  async createExperiment(@Body() body: AlphaCreateExperimentDto, @Req() req: Request) {
    const run = await this.service.createExperiment(body.command_params ?? {}, this.service.selection(body), requesterOf(req));
    const expid = (run.result?.expid as string | null) ?? null;
    return {
      expid,
      message: expid ? `Experiment ${expid} created successfully.` : 'Autosubmit did not report the new experiment id.',
      runner_id: run.id,
    };
  }
}
