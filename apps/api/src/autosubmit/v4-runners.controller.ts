import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { RUNYARD_CONFIG } from '@runyard/config';
import type { RunyardConfig } from '@runyard/config';
import { ProfilesService } from '@runyard/runs';
import { RequireRole } from '@runyard/auth';
import { requesterOf } from '../common/requester';
import { AutosubmitRunnersService } from './autosubmit-runners.service';
import { runnerStatus } from './runner-status.presenter';
import { CreateExperimentDto, ExpidDto, RunExperimentDto, SetJobStatusDto, StopExperimentDto, UpdateDescriptionDto } from './v4.dto';

/** The Autosubmit API's /v4/runners routes (seed 001), request and response shapes unchanged. */
@Controller('v4/runners')
export class V4RunnersController {
  constructor(
    private readonly service: AutosubmitRunnersService,
    private readonly profiles: ProfilesService,
    @Inject(RUNYARD_CONFIG) private readonly config: RunyardConfig,
  ) {}

  @Get('configuration/ssh-public-keys')
  sshPublicKeys(): string[] {
    return this.config.sshPublicKeys;
  }

  @Get('configuration/profiles')
  profilesList() {
    return this.profiles.all();
  }

  @Get('configuration/endpoints')
  endpoints() {
    return this.config.endpoints;
  }

  @Post('command/run-experiment')
  @HttpCode(200)
  async run(@Body() body: RunExperimentDto, @Req() req: Request) {
    this.service.gate('RUNNER_RUN');
    const profile = await this.service.profile(body.profile_name, body.profile_params);
    const run = await this.service.run(body.expid, profile, requesterOf(req));
    return { message: `Experiment ${body.expid} started successfully.`, run_id: run.id };
  }

  @Post('command/get-runner-run-status')
  @RequireRole('viewer') // a read, though a POST
  @HttpCode(200)
  async status(@Body() body: ExpidDto) {
    this.service.gate('RUNNER_RUN');
    return runnerStatus(body.expid, await this.service.status(body.expid), 'v4');
  }

  @Post('command/stop-experiment')
  @HttpCode(200)
  async stop(@Body() body: StopExperimentDto, @Req() req: Request) {
    this.service.gate('RUNNER_RUN');
    const run = await this.service.stop(body.expid, body.force === true, requesterOf(req));
    return { message: stopMessage(body.expid, run.status), run_id: run.id, detailed_status: run.status };
  }

  @Post('command/set-job-status')
  @HttpCode(200)
  async setJobStatus(@Body() body: SetJobStatusDto, @Req() req: Request) {
    this.service.gate('SET_JOB_STATUS');
    const profile = await this.service.profile(body.profile_name, body.profile_params);
    const run = await this.service.setJobStatus(body.expid, body.command_params, profile, requesterOf(req));
    return { message: `Job status of experiment ${body.expid} updated successfully.`, run_id: run.id };
  }

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
