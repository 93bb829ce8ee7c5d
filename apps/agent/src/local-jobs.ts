import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { JobSpec } from '@runyard/agent-protocol';
import { DEFAULT_LOADER_SETTINGS, getLoader } from '@runyard/loaders';
import type { RunSettings } from '@runyard/persistence';
// The files themselves, not the libraries' indexes: the agent loads no Nest, database or SSH code.
import { LocalRunner } from '../../../libs/runners/src/local.runner';
import type { Attachment, ExitInfo, OutputSource, RunningProcess, RunRef } from '../../../libs/runners/src/runner';
import { describeIsolation, runIsolation } from '../../../libs/runners/src/local/run-isolation';
import { log } from './agent-log';

/** Where the agent keeps a run on its host: enough to re-attach after the agent's own restart. */
export interface LocalRun {
  id: number;
  pid: number;
  runDir: string;
}

/**
 * The runs of this agent, executed by the LOCAL runner (detached process groups, exit files) after
 * the run's loader prepared the command here, on the host it runs on, with every check made here.
 */
export class LocalJobs {
  private readonly runner: LocalRunner;
  readonly host = hostname();

  constructor(readonly runsDir: string) {
    const isolation = runIsolation();
    log('info', describeIsolation(isolation));
    this.runner = new LocalRunner(runsDir, isolation);
  }

  async start(id: number, spec: JobSpec): Promise<RunningProcess> {
    const argv = await getLoader(spec.loader).prepare(spec.args, spec.modules, {
      program: spec.program ?? DEFAULT_LOADER_SETTINGS.program,
      condaExecutable: spec.condaExecutable ?? DEFAULT_LOADER_SETTINGS.condaExecutable,
      lmodInit: spec.lmodInit ?? DEFAULT_LOADER_SETTINGS.lmodInit,
      safeRootPath: spec.safeRootPath,
      remote: false,
    });
    const settings = { env: spec.env, files: spec.files, stdin: spec.stdin, runAs: spec.runAs } as RunSettings;
    return this.runner.launch({ id, argv, settings });
  }

  private ref(run: LocalRun): RunRef {
    return { id: run.id, pid: run.pid, host: this.host, runDir: run.runDir, settings: {} as RunSettings };
  }

  attach(run: LocalRun): Promise<Attachment> {
    return this.runner.attach(this.ref(run));
  }

  signal(run: LocalRun, signal: NodeJS.Signals): Promise<void> {
    return this.runner.signal(this.ref(run), signal);
  }

  /** A short command of run `runId` (`autosubmit stop`): as that run's account, where its directory still is. */
  exec(argv: string[], stdin: string | undefined, timeoutMs: number, runId = 0): Promise<{ exit: ExitInfo; output: string }> {
    return this.runner.exec(this.ref({ id: runId, pid: 0, runDir: runId ? this.dirOf(runId) : '' }), argv, stdin, timeoutMs);
  }

  output(run: LocalRun): OutputSource {
    return this.runner.output(this.ref(run));
  }

  resultFile(run: LocalRun): Promise<Buffer | null> {
    return this.runner.resultFile(this.ref(run));
  }

  release(run: LocalRun): Promise<void> {
    return this.runner.release(this.ref(run));
  }

  dirOf(id: number): string {
    return join(this.runsDir, String(id));
  }
}

/** What this host can run scripts with, as Automn reports it (best effort, once at start). */
export function detectRuntimes(): Record<string, string> {
  const found: Record<string, string> = { node: process.versions.node };
  for (const [name, argv] of [
    ['python', ['python3', '--version']],
    ['shell', ['bash', '--version']],
  ] as const) {
    const r = spawnSync(argv[0], [argv[1]], { encoding: 'utf8', timeout: 2000 });
    const version = /\d+(\.\d+){1,3}/.exec(`${r.stdout ?? ''} ${r.stderr ?? ''}`)?.[0];
    if (version) found[name] = version;
  }
  return found;
}
