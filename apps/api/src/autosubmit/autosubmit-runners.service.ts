import { Inject, Injectable } from '@nestjs/common';
import {
  AutosubmitCommand,
  createExperimentCommand,
  CreateExperimentParams,
  createJobListCommand,
  CreateJobListParams,
  ensureExpid,
  runCommand,
  setStatusCommand,
  SetStatusParams,
  updateDescriptionCommand,
  versionCommand,
} from '@runyard/autosubmit';
import { isOneOf, resolveProfile, RUNYARD_CONFIG } from '@runyard/config';
import type { EndpointName, Profile, ResolvedProfile, RunyardConfig } from '@runyard/config';
import { LOADER_TYPES } from '@runyard/loaders';
import type { Run, RunKind } from '@runyard/persistence';
import { RunnerTypes } from '@runyard/runners';
import { asBadInput, BadInputError, CommandFailedError, DisabledError, RunsService } from '@runyard/runs';
import { commandFailure } from './runner-status.presenter';
import type { RunnerSelectionDto } from './v4alpha.dto';

/** The Autosubmit API's runner endpoints (v4 and v4alpha) over the one RunsService. */
@Injectable()
export class AutosubmitRunnersService {
  constructor(
    private readonly runs: RunsService,
    private readonly runners: RunnerTypes,
    @Inject(RUNYARD_CONFIG) private readonly config: RunyardConfig,
  ) {}

  /** v4: RUNNER_CONFIGURATION.ENDPOINTS toggles; a disabled endpoint answers 403. */
  gate(endpoint: EndpointName): void {
    if (!this.config.endpoints[endpoint].ENABLED)
      throw new DisabledError(`The ${endpoint} endpoint is disabled in this Runyard's configuration.`);
  }

  /** v4: a named profile, filled (never overridden) by the request's profile_params. */
  profile(name: string, params: unknown): Promise<ResolvedProfile> {
    return this.runs.profile(name, params);
  }

  /** v4alpha: the runner, loader and modules of the request, gated by RUNNERS.<T>[.MODULE_LOADERS.<L>].ENABLED. */
  selection(sel: Pick<RunnerSelectionDto, 'runner' | 'module_loader' | 'modules' | 'runner_extra_params'>): ResolvedProfile {
    const runner = String(sel.runner).toUpperCase();
    const loader = String(sel.module_loader).toUpperCase();
    const types = this.runners.names;
    if (!isOneOf(types, runner)) throw new BadInputError(`runner must be one of ${types.join(', ').toLowerCase()}`);
    if (!isOneOf(LOADER_TYPES, loader)) throw new BadInputError(`module_loader must be one of ${LOADER_TYPES.join(', ').toLowerCase()}`);
    const toggle = this.config.runners[runner];
    if (!toggle.ENABLED) throw new DisabledError(`The ${runner.toLowerCase()} runner is disabled in this Runyard's configuration.`);
    if (!toggle.MODULE_LOADERS[loader].ENABLED) {
      throw new DisabledError(`The ${loader.toLowerCase()} module loader of the ${runner.toLowerCase()} runner is disabled.`);
    }
    const definition = this.runners.definition(runner);
    const profile: Profile = { RUNNER_TYPE: runner, MODULE_LOADER_TYPE: loader };
    const params: Record<string, unknown> = { MODULES: sel.modules ?? null };
    if (definition.block) {
      // RUNNERS.<type>'s settings (for SSH: key, host key check) apply to every target a request names.
      if (toggle.defaults) profile[definition.block] = toggle.defaults;
      const requested = definition.fromExtraParams?.(sel.runner_extra_params ?? {});
      if (requested) params[definition.block] = requested;
    }
    return asBadInput(() => resolveProfile(`${runner.toLowerCase()}/${loader.toLowerCase()}`, profile, params, this.runners.definitions));
  }

  run(expid: string, profile: ResolvedProfile, requestedBy: string): Promise<Run> {
    const command = asBadInput(() => runCommand(expid));
    return this.runs.submitRun({ kind: 'run', expid, command, profile, requestedBy });
  }

  stop(expid: string, force: boolean, requestedBy: string): Promise<Run> {
    return this.runs.stopExperiment(
      asBadInput(() => ensureExpid(expid)),
      force,
      requestedBy,
    );
  }

  status(expid: string): Promise<Run | null> {
    return this.runs.statusOf(asBadInput(() => ensureExpid(expid)));
  }

  setJobStatus(expid: string, params: Record<string, unknown>, profile: ResolvedProfile, by: string): Promise<Run> {
    return this.command('setstatus', expid, () => setStatusCommand(expid, params as unknown as SetStatusParams), profile, by);
  }

  createExperiment(params: Record<string, unknown>, profile: ResolvedProfile, by: string): Promise<Run> {
    return this.command('create-experiment', null, () => createExperimentCommand(params as unknown as CreateExperimentParams), profile, by);
  }

  updateDescription(expid: string, description: string, profile: ResolvedProfile, by: string): Promise<Run> {
    return this.command('update-description', expid, () => updateDescriptionCommand(expid, description), profile, by);
  }

  createJobList(expid: string, params: CreateJobListParams, profile: ResolvedProfile, by: string): Promise<Run> {
    return this.command('create-job-list', expid, () => createJobListCommand(expid, params), profile, by);
  }

  version(profile: ResolvedProfile, by: string): Promise<Run> {
    return this.command('version', null, () => versionCommand(), profile, by);
  }

  /** A short command through the queue; the request waits for it and a failure answers 502 with its output. */
  private async command(
    kind: RunKind,
    expid: string | null,
    build: () => AutosubmitCommand,
    profile: ResolvedProfile,
    requestedBy: string,
  ): Promise<Run> {
    const command = asBadInput(build);
    const run = await this.runs.execute({ kind, expid, command, profile, requestedBy });
    if (run.status !== 'COMPLETED') {
      const output = (await this.runs.output(run.id)).toString('utf8');
      throw new CommandFailedError(commandFailure(run, output), { run_id: run.id });
    }
    return run;
  }
}
