import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { DisabledInConfiguration, NothingToStop, CommandFailures } from './autosubmit-responses';
import { RUN_STATUSES } from '@runyard/persistence';
import type { Request } from 'express';
import { RequireRole } from '@runyard/auth';
import { requesterOf } from '../common/requester';
import { AutosubmitRunnersService } from './autosubmit-runners.service';
import { loaderName, runnerName, runnerStatus, RunnerStatusView } from './runner-status.presenter';
import { AlphaCreateExperimentDto, AlphaCreateJobListDto, AlphaSetJobStatusDto, AlphaStopDto, RunnerSelectionDto } from './v4alpha.dto';
import { stopMessage } from './v4-runners.controller';

/** The Autosubmit API's /v4alpha runner routes (seed 000), request and response shapes unchanged. */
@ApiTags('Autosubmit v4alpha')
@Controller('v4alpha')
export class V4AlphaController {
  constructor(private readonly service: AutosubmitRunnersService) {}

  @ApiOperation({ summary: 'Get the Autosubmit version through a runner' })
  @ApiResponse({
    status: 200,
    description: 'executes autosubmit -v through that runner and loader',
    schema: {
      type: 'object',
      properties: {
        runner: { type: 'string', example: 'local' },
        module_loader: { type: 'string', example: 'conda' },
        modules: { type: 'array', items: { type: 'string' }, example: ['autosubmit-4.1'] },
        version: { type: 'string', nullable: true, example: '4.1.12' },
      },
    },
  })
  @DisabledInConfiguration()
  @CommandFailures()
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

  @ApiOperation({ summary: 'Run an experiment' })
  @ApiResponse({
    status: 200,
    description: 'started',
    schema: {
      type: 'object',
      properties: {
        expid: { type: 'string', example: 'a001' },
        runner: { type: 'string', example: 'local' },
        module_loader: { type: 'string', example: 'conda' },
        modules: { type: 'string', nullable: true, example: 'autosubmit-4.1' },
        runner_id: { type: 'integer', example: 42 },
        pid: { type: 'integer', nullable: true, example: 48213 },
      },
    },
  })
  @DisabledInConfiguration()
  @ApiResponse({ status: 409, description: 'the experiment is already running' })
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

  @ApiOperation({ summary: 'Get an experiment’s runner status' })
  @ApiResponse({ status: 200, description: 'the experiment’s latest run', type: RunnerStatusView })
  @Get('experiments/:expid/get-runner-status')
  async status(@Param('expid') expid: string) {
    return runnerStatus(expid, await this.service.status(expid), 'v4alpha');
  }

  @ApiOperation({ summary: 'Stop an experiment' })
  @ApiResponse({
    status: 200,
    description: 'stopped',
    schema: {
      type: 'object',
      properties: {
        message: { type: 'string', example: 'Experiment a001 stopped successfully.' },
        runner_id: { type: 'integer', example: 42 },
        detailed_status: { enum: [...RUN_STATUSES], example: 'TERMINATED' },
      },
    },
  })
  @NothingToStop()
  @Post('experiments/:expid/stop-experiment')
  @HttpCode(200)
  async stop(@Param('expid') expid: string, @Body() body: AlphaStopDto, @Req() req: Request) {
    const run = await this.service.stop(expid, body?.force === true, requesterOf(req));
    return { message: stopMessage(expid, run.status), runner_id: run.id, detailed_status: run.status };
  }

  @ApiOperation({ summary: 'Set the status of jobs' })
  @ApiResponse({
    status: 200,
    description: 'autosubmit setstatus succeeded',
    schema: {
      type: 'object',
      properties: {
        message: { type: 'string', example: 'Job status of experiment a001 updated successfully.' },
        runner_id: { type: 'integer', example: 42 },
      },
    },
  })
  @DisabledInConfiguration()
  @CommandFailures()
  @Post('experiments/:expid/set-job-status')
  @HttpCode(200)
  async setJobStatus(@Param('expid') expid: string, @Body() body: AlphaSetJobStatusDto, @Req() req: Request) {
    const params = body.command_params ?? {};
    const run = await this.service.setJobStatus(expid, params, this.service.selection(body), requesterOf(req));
    return { message: `Job status of experiment ${expid} updated successfully.`, runner_id: run.id };
  }

  @ApiOperation({ summary: 'Create the job list' })
  @ApiResponse({
    status: 200,
    description: 'autosubmit create succeeded',
    schema: {
      type: 'object',
      properties: {
        message: { type: 'string', example: 'Job list of experiment a001 created successfully.' },
        runner_id: { type: 'integer', example: 42 },
      },
    },
  })
  @DisabledInConfiguration()
  @CommandFailures()
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

  @ApiOperation({ summary: 'Create an experiment' })
  @ApiResponse({
    status: 200,
    description: 'the new expid',
    schema: {
      type: 'object',
      properties: {
        expid: { type: 'string', nullable: true, example: 'a002' },
        message: { type: 'string', example: 'Experiment a002 created successfully.' },
        runner_id: { type: 'integer', example: 44 },
      },
    },
  })
  @DisabledInConfiguration()
  @CommandFailures()
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
