import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { DisabledInConfiguration, NothingToStop, CommandFailures } from './autosubmit-responses';
import { NoSuch } from '../docs/refusals';
import { RUN_STATUSES } from '@runyard/persistence';
import type { Request } from 'express';
import { RUNYARD_CONFIG } from '@runyard/config';
import type { RunyardConfig } from '@runyard/config';
import { ProfilesService } from '@runyard/runs';
import { RequireRole } from '@runyard/auth';
import { requesterOf } from '../common/requester';
import { AutosubmitRunnersService } from './autosubmit-runners.service';
import { runnerStatus, RunnerStatusView } from './runner-status.presenter';
import { CreateExperimentDto, ExpidDto, RunExperimentDto, SetJobStatusDto, StopExperimentDto, UpdateDescriptionDto } from './v4.dto';

/** The Autosubmit API's /v4/runners routes (seed 001), request and response shapes unchanged. */
@ApiTags('Autosubmit v4')
@Controller('v4/runners')
export class V4RunnersController {
  constructor(
    private readonly service: AutosubmitRunnersService,
    private readonly profiles: ProfilesService,
    @Inject(RUNYARD_CONFIG) private readonly config: RunyardConfig,
  ) {}

  @ApiOperation({ summary: 'List the SSH public keys' })
  @ApiResponse({
    status: 200,
    description: 'SSH_PUBLIC_KEYS of the configuration',
    schema: { type: 'array', items: { type: 'string' }, example: ['ssh-ed25519 AAAAC3Nza… runyard@worker'] },
  })
  @Get('configuration/ssh-public-keys')
  sshPublicKeys(): string[] {
    return this.config.sshPublicKeys;
  }

  @ApiOperation({ summary: 'List the runner profiles' })
  @ApiResponse({
    status: 200,
    description: 'profiles, without key locations',
    schema: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          RUNNER_TYPE: { type: 'string' },
          MODULE_LOADER_TYPE: { type: 'string' },
          MODULES: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
          SSH: { type: 'object', properties: { HOST: { type: 'string' }, PORT: { type: 'integer' }, USER: { type: 'string' } } },
        },
      },
      example: { LOCAL_CONDA: { RUNNER_TYPE: 'LOCAL', MODULE_LOADER_TYPE: 'CONDA', MODULES: 'autosubmit-4.1' } },
    },
  })
  @Get('configuration/profiles')
  profilesList() {
    return this.profiles.all();
  }

  @ApiOperation({ summary: 'List the endpoint toggles' })
  @ApiResponse({
    status: 200,
    description: 'which command endpoints are enabled',
    schema: {
      type: 'object',
      additionalProperties: { type: 'object', properties: { ENABLED: { type: 'boolean' } } },
      example: { RUNNER_RUN: { ENABLED: true }, SET_JOB_STATUS: { ENABLED: false } },
    },
  })
  @Get('configuration/endpoints')
  endpoints() {
    return this.config.endpoints;
  }

  @ApiOperation({ summary: 'Run an experiment through a profile' })
  @ApiResponse({
    status: 200,
    description: 'started (answers once the process has its pid)',
    schema: {
      type: 'object',
      properties: {
        message: { type: 'string', example: 'Experiment a001 started successfully.' },
        run_id: { type: 'integer', example: 42 },
      },
    },
  })
  @DisabledInConfiguration()
  @NoSuch('profile')
  @ApiResponse({ status: 409, description: 'the experiment is already running' })
  @Post('command/run-experiment')
  @HttpCode(200)
  async run(@Body() body: RunExperimentDto, @Req() req: Request) {
    this.service.gate('RUNNER_RUN');
    const profile = await this.service.profile(body.profile_name, body.profile_params);
    const run = await this.service.run(body.expid, profile, requesterOf(req));
    return { message: `Experiment ${body.expid} started successfully.`, run_id: run.id };
  }

  @ApiOperation({ summary: 'Get an experiment’s run status' })
  @ApiResponse({ status: 200, description: 'the experiment’s latest run', type: RunnerStatusView })
  @DisabledInConfiguration()
  @Post('command/get-runner-run-status')
  @RequireRole('viewer') // a read, though a POST
  @HttpCode(200)
  async status(@Body() body: ExpidDto) {
    this.service.gate('RUNNER_RUN');
    return runnerStatus(body.expid, await this.service.status(body.expid), 'v4');
  }

  @ApiOperation({ summary: 'Stop an experiment' })
  @ApiResponse({
    status: 200,
    description: 'autosubmit stop, then signals',
    schema: {
      type: 'object',
      properties: {
        message: { type: 'string', example: 'Experiment a001 stopped successfully.' },
        run_id: { type: 'integer', example: 42 },
        detailed_status: { enum: [...RUN_STATUSES], example: 'TERMINATED' },
      },
    },
  })
  @DisabledInConfiguration()
  @NothingToStop()
  @Post('command/stop-experiment')
  @HttpCode(200)
  async stop(@Body() body: StopExperimentDto, @Req() req: Request) {
    this.service.gate('RUNNER_RUN');
    const run = await this.service.stop(body.expid, body.force === true, requesterOf(req));
    return { message: stopMessage(body.expid, run.status), run_id: run.id, detailed_status: run.status };
  }

  @ApiOperation({ summary: 'Set the status of jobs' })
  @ApiResponse({
    status: 200,
    description: 'autosubmit setstatus succeeded',
    schema: {
      type: 'object',
      properties: {
        message: { type: 'string', example: 'Job status of experiment a001 updated successfully.' },
        run_id: { type: 'integer', example: 43 },
      },
    },
  })
  @DisabledInConfiguration()
  @NoSuch('profile')
  @CommandFailures()
  @Post('command/set-job-status')
  @HttpCode(200)
  async setJobStatus(@Body() body: SetJobStatusDto, @Req() req: Request) {
    this.service.gate('SET_JOB_STATUS');
    const profile = await this.service.profile(body.profile_name, body.profile_params);
    const run = await this.service.setJobStatus(body.expid, body.command_params, profile, requesterOf(req));
    return { message: `Job status of experiment ${body.expid} updated successfully.`, run_id: run.id };
  }

  @ApiOperation({ summary: 'Create an experiment' })
  @ApiResponse({
    status: 200,
    description: 'autosubmit expid succeeded; the new expid',
    schema: {
      type: 'object',
      properties: {
        expid: { type: 'string', nullable: true, example: 'a002' },
        message: { type: 'string', example: 'Experiment a002 created successfully.' },
        run_id: { type: 'integer', example: 44 },
      },
    },
  })
  @DisabledInConfiguration()
  @NoSuch('profile')
  @CommandFailures()
  @Post('command/create-experiment')
  @HttpCode(200)
  async createExperiment(@Body() body: CreateExperimentDto, @Req() req: Request) {
    this.service.gate('CREATE_EXPERIMENT');
    const profile = await this.service.profile(body.profile_name, body.profile_params);
    const run = await this.service.createExperiment(body.command_params, profile, requesterOf(req));
    const expid = (run.result?.expid as string | null) ?? null;
    return {
      expid,
      message: expid ? `Experiment ${expid} created successfully.` : 'Autosubmit did not report the new experiment id.',
      run_id: run.id,
    };
  }

  @ApiOperation({ summary: 'Update an experiment’s description' })
  @ApiResponse({
    status: 200,
    description: 'autosubmit updatedescrip succeeded',
    schema: {
      type: 'object',
      properties: {
        message: { type: 'string', example: 'Description of experiment a001 updated successfully.' },
        run_id: { type: 'integer', example: 45 },
      },
    },
  })
  @DisabledInConfiguration()
  @NoSuch('profile')
  @CommandFailures()
  @Post('command/update-experiment-description')
  @HttpCode(200)
  async updateDescription(@Body() body: UpdateDescriptionDto, @Req() req: Request) {
    this.service.gate('UPDATE_EXPERIMENT_DETAILS');
    const profile = await this.service.profile(body.profile_name, body.profile_params);
    const run = await this.service.updateDescription(body.expid, body.description, profile, requesterOf(req));
    return { message: `Description of experiment ${body.expid} updated successfully.`, run_id: run.id };
  }
}

export function stopMessage(expid: string, status: string): string {
  return status === 'STOPPING' ? `Experiment ${expid} is stopping.` : `Experiment ${expid} stopped successfully.`;
}
