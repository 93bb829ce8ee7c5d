import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { resolveProfile } from '@runyard/config';
import type { ResolvedProfile } from '@runyard/config';
import { RunnerTypes } from '@runyard/runners';
import { asBadInput, BadInputError, RunsService } from '@runyard/runs';
import { scriptCommand, ScriptInputError } from '@runyard/scripts';
import { requesterOf } from '../common/requester';
import { presentRun } from '../native/run.presenter';
import { RunScriptDto } from './scripts.dto';

/** Automn's kind of run: a script in Node, Python or shell, on an agent or on a worker's machine. */
@Controller('api/v1/scripts')
export class ScriptsController {
  constructor(
    private readonly runs: RunsService,
    private readonly runners: RunnerTypes,
  ) {}

  /** Accepts the script run and answers at once (202); its return value is the run's `result.return_data` once it ended. */
  @Post('run')
  @HttpCode(202)
  async run(@Body() body: RunScriptDto, @Req() req: Request) {
    let command;
    try {
      command = scriptCommand({ language: body.language, code: body.code, input: body.input ?? {}, timeout: body.timeout });
    } catch (e) {
      throw e instanceof ScriptInputError ? new BadInputError(e.message) : e;
    }
    const profile = await this.profileOf(body);
    const run = await this.runs.submit({
      kind: 'script',
      expid: null,
      command: { args: command.args },
      profile: { ...profile, queueTimeoutMs: body.queue_timeout !== undefined ? body.queue_timeout * 1000 : profile.queueTimeoutMs },
      requestedBy: requesterOf(req),
      run: { program: command.program, env: command.env, files: command.files, timeoutMs: command.timeoutMs },
    });
    return presentRun(run, this.runners);
  }

  private async profileOf(body: RunScriptDto): Promise<ResolvedProfile> {
    const agent = body.agent !== undefined || body.tags !== undefined ? { AGENT: { ID: body.agent, TAGS: body.tags } } : undefined;
    if (body.profile_name) return this.runs.profile(body.profile_name, agent);
    // No profile: the same rules as one that names only the runner, on an agent or the worker's machine.
    const implicit = { RUNNER_TYPE: agent ? 'AGENT' : 'LOCAL', MODULE_LOADER_TYPE: 'NO_MODULE' as const };
    return asBadInput(() => resolveProfile('script', implicit, agent, this.runners.definitions));
  }
}
