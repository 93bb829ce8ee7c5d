import { Inject, Injectable, Logger } from '@nestjs/common';
import { AutosubmitCommand, CommandInputError } from '@runyard/autosubmit';
import { Environment, ProfileParamsError, resolveProfile, RUNYARD_CONFIG } from '@runyard/config';
import type { ResolvedProfile, RunyardConfig } from '@runyard/config';
import { DEFAULT_LOADER_SETTINGS, getLoader, LoaderError, LoaderSettings } from '@runyard/loaders';
import { isFinal, Run, RunKind, RunSettings, RunStatus } from '@runyard/persistence';
import { EnqueueTimeoutError, RunQueues } from '@runyard/queue';
import { RunnerTypes } from '@runyard/runners';
import { scriptOf } from '@runyard/scripts';
import { BadInputError, CommandTimeoutError, ConflictError, CommandFailedError, NotFoundError, UnavailableError } from './errors';
import { runLifecycle } from './lifecycle-log';
import { ProfilesService } from './profiles.service';
import { RunWakeups } from './run-wakeups';
import { isUniqueViolation, RunFilter, RunsRepository } from './runs.repository';

/** A command to execute and where: what every endpoint (native, v4, v4alpha) hands to the service. */
export interface RunRequest {
  kind: RunKind;
  expid: string | null;
  command: AutosubmitCommand;
  profile: ResolvedProfile;
  requestedBy: string;
  /** For commands other than Autosubmit (a script, a session's executor): the program, its environment, its files and its time limit. */
  run?: Pick<RunSettings, 'program' | 'env' | 'files' | 'timeoutMs'>;
}

/** Turns the libraries' input errors into the 400 every endpoint answers for bad input. */
export function asBadInput<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toBadInput(e);
  }
}

function toBadInput(e: unknown): unknown {
  if (e instanceof CommandInputError || e instanceof LoaderError || e instanceof ProfileParamsError) {
    return new BadInputError(e.message);
  }
  return e;
}

const POLL_START_MS = 5;
const POLL_MAX_MS = 200;
const ABANDON_RETRY_MS = 2_000;
const ABANDON_RETRIES = 300;

@Injectable()
export class RunsService {
  private readonly log = new Logger('Runs');

  constructor(
    private readonly repo: RunsRepository,
    private readonly queues: RunQueues,
    private readonly profiles: ProfilesService,
    private readonly runners: RunnerTypes,
    private readonly env: Environment,
    private readonly wakeups: RunWakeups,
    @Inject(RUNYARD_CONFIG) private readonly config: RunyardConfig,
  ) {}

  /** A named profile, filled (never overridden) by the request's profile_params: what every endpoint resolves the same way. */
  async profile(name: string, params: unknown): Promise<ResolvedProfile> {
    const definition = await this.profiles.get(name);
    return asBadInput(() => resolveProfile(name, definition, params, this.runners.definitions));
  }

  /** Validates, records and enqueues. The row exists before the job; the database refuses a second unfinished run. */
  async submit(req: RunRequest): Promise<Run> {
    const { profile } = req;
    if (!this.runners.has(profile.runner)) {
      throw new BadInputError(`runner ${profile.runner} is not available (available: ${this.runners.names.join(', ')})`);
    }
    const settings: RunSettings = {
      runner: profile.runner,
      loader: profile.loader,
      modules: profile.modules,
      program: req.run?.program,
      args: req.command.args,
      env: req.run?.env,
      files: req.run?.files,
      target: profile.target,
      autosubmitExecutable: profile.autosubmitExecutable,
      condaExecutable: profile.condaExecutable,
      lmodInit: profile.lmodInit,
      stopConfirmOnStdin: profile.stopConfirmOnStdin,
      queueTimeoutMs: profile.queueTimeoutMs,
      // A request may ask for less time than the profile gives, never more.
      timeoutMs: shortest(profile.timeoutMs, req.run?.timeoutMs),
      retry: profile.retry,
      limits: profile.limits.length > 0 ? profile.limits : undefined,
      secrets: profile.secrets.length > 0 ? profile.secrets : undefined,
      safeRootPath: this.config.runners[profile.runner].MODULE_LOADERS.VENV.SAFE_ROOT_PATH,
      stdin: req.command.stdin,
      runAs: profile.runAs,
    };
    let argv: string[];
    try {
      argv = await getLoader(profile.loader).prepare(req.command.args, profile.modules, loaderSettings(settings, this.runners));
    } catch (e) {
      throw toBadInput(e);
    }
    return this.record({
      kind: req.kind,
      expid: req.expid,
      profileName: profile.name,
      runner: profile.runner,
      moduleLoader: profile.loader,
      modules: profile.modules,
      argv,
      settings,
      requestedBy: req.requestedBy,
    });
  }

  /**
   * A finished run again: a new run with the same command on the same settings (what the profile
   * said then), through the same queue as any other. A session's executor belongs to its session.
   */
  async resubmit(id: number, requestedBy: string): Promise<Run> {
    const run = await this.get(id);
    if (!isFinal(run.status)) throw new ConflictError(`run ${id} is ${run.status}: only a finished run can be resubmitted`, { run_id: id });
    if (run.kind === 'session') throw new BadInputError(`run ${id} is a Runner SDK session's executor: its session starts executors`);
    const { kind, expid, profileName, runner, moduleLoader, modules, argv } = run;
    const settings = await this.stillGranted(run);
    return this.record({ kind, expid, profileName, runner, moduleLoader, modules, argv, settings, requestedBy });
  }

  /**
   * What an admin took from the profile since (a secret, RUN_AS, a script language on its host, the
   * profile itself) a resubmitted run does not keep: it gets the secrets its profile grants both then
   * and now, and no other account.
   */
  private async stillGranted(run: Run): Promise<RunSettings> {
    const { settings } = run;
    const secrets = settings.secrets ?? [];
    const language = run.kind === 'script' && run.runner !== 'AGENT' ? scriptOf(settings)?.language : undefined;
    if (secrets.length === 0 && settings.runAs === undefined && language === undefined) return settings;
    const now =
      run.profileName === null
        ? null
        : await this.profiles.get(run.profileName).catch((e: unknown) => {
            if (e instanceof NotFoundError) return null;
            throw e;
          });
    if (now === null) {
      throw new ConflictError(`run ${run.id}'s profile ${run.profileName} no longer exists: submit the run anew`, { run_id: run.id });
    }
    if (language !== undefined && !now.SCRIPT_RUNTIMES?.includes(language)) {
      throw new ConflictError(
        `profile ${run.profileName} no longer runs ${language} scripts on its ${run.runner} host (its SCRIPT_RUNTIMES)`,
        {
          run_id: run.id,
        },
      );
    }
    if (settings.runAs !== now.RUN_AS) {
      throw new ConflictError(`profile ${run.profileName}'s RUN_AS changed since run ${run.id}: submit the run anew`, { run_id: run.id });
    }
    const granted = secrets.filter((name) => now.SECRETS?.includes(name));
    return { ...settings, secrets: granted.length > 0 ? granted : undefined };
  }

  /** The row, then its job (a queue that does not take it leaves the run FAILED, saying why). */
  private async record(row: Parameters<RunsRepository['insert']>[0]): Promise<Run> {
    let run: Run;
    try {
      run = await this.repo.insert(row);
    } catch (e) {
      if (isUniqueViolation(e) && row.expid) {
        const current = await this.repo.unfinishedRunOf(row.expid);
        throw new ConflictError(`Experiment ${row.expid} is already running${current ? ` (run ${current.id})` : ''}.`, {
          run_id: current?.id ?? null,
        });
      }
      throw e;
    }
    try {
      await this.queues.enqueue(run);
    } catch (e) {
      const why = e instanceof EnqueueTimeoutError ? e.message : `the queue is unavailable: ${(e as Error).message}`;
      // Answered 503, so it must never run behind the client's back; if a worker already took it, the job did land.
      if (await this.abandon(run.id, why)) {
        runLifecycle.finished(run, { status: 'FAILED', exitCode: null, detail: why });
        throw new UnavailableError(`Run ${run.id} was not started: ${why}`, { run_id: run.id });
      }
      return (await this.repo.byId(run.id)) ?? run;
    }
    runLifecycle.queued(run);
    return run;
  }

  /** Marks an unqueued run FAILED; with Postgres away too, keeps trying in the background so the reconciler never revives it. */
  private async abandon(id: number, why: string): Promise<boolean> {
    try {
      return await this.repo.abandonQueued(id, why);
    } catch {
      let tries = 0;
      const retry = setInterval(() => {
        if (++tries > ABANDON_RETRIES) clearInterval(retry);
        void this.repo.abandonQueued(id, why).then(
          () => clearInterval(retry),
          () => undefined,
        );
      }, ABANDON_RETRY_MS);
      retry.unref();
      this.log.warn(`run ${id}: could not record that it was never enqueued; retrying`);
      return true;
    }
  }

  /** A long run: answers once its process has started (for its pid), or when the wait runs out with it still queued. */
  async submitRun(req: RunRequest): Promise<Run> {
    const run = await this.submit(req);
    const seen = await this.waitFor(run.id, (s) => s !== 'QUEUED' && s !== 'STARTING', this.env.RUN_START_WAIT_MS);
    if (seen.status === 'FAILED' && seen.pid === null) {
      throw new CommandFailedError(`Experiment ${req.expid} could not be started: ${seen.detail ?? 'launch failed'}`, { run_id: run.id });
    }
    return seen;
  }

  /** A short command: the request waits for its result, then 504 with the run id. */
  async execute(req: RunRequest): Promise<Run> {
    const run = await this.submit(req);
    const done = await this.waitFor(run.id, isFinal, this.env.COMMAND_TIMEOUT_MS);
    if (!isFinal(done.status)) {
      throw new CommandTimeoutError(
        `autosubmit ${req.command.args[0]} has not finished after ${this.env.COMMAND_TIMEOUT_MS} ms; follow run ${run.id}`,
        {
          run_id: run.id,
        },
      );
    }
    return done;
  }

  /** The experiment's latest run, or null if it never ran. */
  statusOf(expid: string): Promise<Run | null> {
    return this.repo.latestRunOf(expid);
  }

  async get(id: number): Promise<Run> {
    const run = await this.repo.byId(id);
    if (!run) throw new NotFoundError(`run ${id} does not exist`);
    return run;
  }

  list(filter: RunFilter): Promise<Run[]> {
    return this.repo.list(filter);
  }

  /** How many runs the filter matches, on every page. */
  count(filter: Omit<RunFilter, 'limit' | 'before'>): Promise<number> {
    return this.repo.count(filter);
  }

  async output(id: number): Promise<Buffer> {
    await this.get(id);
    return this.repo.outputOf(id);
  }

  async stopExperiment(expid: string, force: boolean, requestedBy: string): Promise<Run> {
    const run = await this.repo.unfinishedRunOf(expid);
    if (!run) throw new NotFoundError(`Experiment ${expid} has no active run to stop.`);
    return this.stop(run, force, requestedBy);
  }

  async stopRun(id: number, force: boolean, requestedBy: string): Promise<Run> {
    return this.stop(await this.get(id), force, requestedBy);
  }

  /**
   * A queued run is withdrawn at once; a started one is marked STOPPING, which the worker holding
   * it acts on (autosubmit stop, then SIGTERM, then SIGKILL). Answers when the run has ended or
   * after the stop grace, whichever is first.
   */
  private async stop(run: Run, force: boolean, requestedBy: string): Promise<Run> {
    if (isFinal(run.status)) return run;
    if (await this.requestStop(run, force, requestedBy)) return this.get(run.id);
    // Two grace periods (autosubmit stop, SIGTERM), then SIGKILL and the runner noticing the exit.
    return this.waitFor(run.id, isFinal, this.env.STOP_GRACE_MS * 2 + 8_000);
  }

  /** Withdraws a queued run (answers true) or asks the worker holding it to stop it, without waiting. */
  async requestStop(
    run: Pick<Run, 'id' | 'kind' | 'attempts'> & Partial<Pick<Run, 'expid' | 'profileName'>>,
    force: boolean,
    requestedBy: string,
  ): Promise<boolean> {
    const by = `stopped by ${requestedBy}`;
    if (await this.repo.withdraw(run.id, `${by} before it started`)) {
      await this.queues.withdraw(run).catch(() => undefined);
      runLifecycle.finished(run, { status: 'TERMINATED', exitCode: null, detail: `${by} before it started` });
      return true;
    }
    await this.repo.requestStop(run.id, force, by);
    return false;
  }

  /**
   * Looks at the row whenever its status changes (polling too, backing off) until `done(status)`, the timeout, or
   * `gone` (the one waiting has left); returns the last row seen.
   */
  async waitFor(id: number, done: (s: RunStatus) => boolean, timeoutMs: number, gone?: AbortSignal): Promise<Run> {
    const deadline = Date.now() + timeoutMs;
    let delay = POLL_START_MS;
    for (;;) {
      const armed = this.wakeups.arm(`run ${id}`);
      const run = await this.get(id);
      // Shutting down, waits end at once: the last row seen is the answer (not a loop of looks until the deadline).
      if (done(run.status) || Date.now() >= deadline || this.wakeups.closing || gone?.aborted) {
        armed.cancel();
        return run;
      }
      await this.wakeups.wait(armed, Math.min(delay, Math.max(1, deadline - Date.now())));
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
  }
}

const shortest = (a?: number, b?: number) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

/** The loader settings of a run (`program`: its own, else the profile's Autosubmit); `remote` comes from its runner type. */
export function loaderSettings(s: RunSettings, runners: RunnerTypes, program = s.program ?? s.autosubmitExecutable): LoaderSettings {
  return {
    program: program ?? DEFAULT_LOADER_SETTINGS.program,
    condaExecutable: s.condaExecutable ?? DEFAULT_LOADER_SETTINGS.condaExecutable,
    lmodInit: s.lmodInit ?? DEFAULT_LOADER_SETTINGS.lmodInit,
    safeRootPath: s.safeRootPath,
    remote: runners.definition(s.runner).remote,
  };
}
