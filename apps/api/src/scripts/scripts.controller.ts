import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NoSuch } from '../docs/refusals';
import type { Request, Response } from 'express';
import { resolveProfile } from '@runyard/config';
import { isFinal } from '@runyard/persistence';
import type { ResolvedProfile } from '@runyard/config';
import { RunnerTypes } from '@runyard/runners';
import { asBadInput, BadInputError, ProfilesService, RunsService } from '@runyard/runs';
import { scriptCommand, ScriptInputError } from '@runyard/scripts';
import type { ScriptLanguage } from '@runyard/scripts';
import { requesterOf } from '../common/requester';
import { presentRun, RunView } from '../native/run.presenter';
import { RunScriptDto } from './scripts.dto';

/** Automn's kind of run: a script in Node, Python or shell, on an agent or on a worker's machine. */
@ApiTags('Runs')
@Controller('api/v1/scripts')
export class ScriptsController {
  constructor(
    private readonly runs: RunsService,
    private readonly runners: RunnerTypes,
    private readonly profiles: ProfilesService,
  ) {}

  /**
   * Accepts the script run and answers at once (202); its return value is the run's `result.return_data` once it ended.
   * With `wait`, the answer waits for the end (200) up to that many seconds.
   */
  @ApiOperation({ summary: 'Run a script (Node, Python, shell) on an agent or a worker' })
  @ApiResponse({
    status: 202,
    description: 'the accepted run (kind script); its return value is result.return_data once it ended',
    type: RunView,
  })
  @ApiResponse({ status: 200, description: 'with wait: the run ended within it; its return value is result.return_data', type: RunView })
  @ApiResponse({ status: 400, description: 'bad input: the DTO’s rules, or no profile runs the language (with what to change)' })
  @NoSuch('profile')
  @Post('run')
  async run(@Body() body: RunScriptDto, @Req() req: Request, @Res() res: Response): Promise<void> {
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
    // The status depends on how a wait ends: the response is sent here (Nest's @HttpCode is one status per route).
    if (body.wait === undefined) {
      res.status(202).json(presentRun(run, this.runners));
      return;
    }
    const left = new AbortController();
    res.once('close', () => left.abort()); // before the answer: the client went away, nobody waits any more
    const seen = await this.runs.waitFor(run.id, isFinal, body.wait * 1000, left.signal);
    if (!left.signal.aborted) res.status(isFinal(seen.status) ? 200 : 202).json(presentRun(seen, this.runners));
  }

  /**
   * An agent when `agent` or `tags` is given; else the profile named, or the first one that runs the
   * language: a script executes on a worker's or an SSH host only where a profile's SCRIPT_RUNTIMES allows it.
   */
  private async profileOf(body: RunScriptDto): Promise<ResolvedProfile> {
    const agent = body.agent !== undefined || body.tags !== undefined ? { AGENT: { ID: body.agent, TAGS: body.tags } } : undefined;
    const name = body.profile_name ?? (agent ? undefined : await this.profileRunning(body.language));
    if (name === undefined)
      return asBadInput(() =>
        resolveProfile('script', { RUNNER_TYPE: 'AGENT', MODULE_LOADER_TYPE: 'NO_MODULE' }, agent, this.runners.definitions),
      );
    const profile = await this.runs.profile(name, agent);
    if (profile.runner !== 'AGENT' && !profile.scriptRuntimes.includes(body.language)) {
      throw new BadInputError(
        `profile ${name} does not run ${body.language} scripts on its ${profile.runner} host (its SCRIPT_RUNTIMES: ` +
          `${JSON.stringify(profile.scriptRuntimes)}): add ${body.language} to its SCRIPT_RUNTIMES in runyard.yaml, or send the script to an agent (agent, tags)`,
      );
    }
    return profile;
  }

  private async profileRunning(language: ScriptLanguage): Promise<string> {
    const all = await this.profiles.all();
    const able = Object.keys(all)
      .sort()
      .find((n) => all[n].SCRIPT_RUNTIMES?.includes(language));
    if (able === undefined) {
      throw new BadInputError(
        `no profile runs ${language} scripts on a worker's host: send the script to an agent (agent, tags), or add ${language} ` +
          `to a profile's SCRIPT_RUNTIMES in runyard.yaml (e.g. SCRIPT_RUNTIMES: [${language}])`,
      );
    }
    return able;
  }
}
