import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { profileBody, ProfileOptions, UsageError, withProfileOptions } from './params';
import { ApiError, RunyardClient } from './client';
import { formatFields, formatRunsTable, formatTime, orDash, RunRow, statusText, styleFor } from './format';
import { Spinner } from './spinner';
import { Action, CliIo, Context, printJson } from './context';
import { addAgentCommands } from './agent-commands';
import { AutomnLines } from './automn-lines';
import { followRun } from './follow';
import { formatRun, RunAnswer } from './run-view';
import { addScheduleCommands } from './schedule-commands';
import { addSdkCommands } from './sdk-commands';
import { addTokenCommands } from './token-commands';

const HELP_AFTER = `
Environment: RUNYARD_URL (default http://127.0.0.1:8080), RUNYARD_TOKEN (the API token, sent as a
bearer token), RUNYARD_TIMEOUT (seconds, default 30), NO_COLOR.
--param KEY=VALUE fills profile_params (dotted keys nest: SSH.USER=me).
Times are shown in the terminal's time zone (TZ) with their UTC offset.
Exit codes: 0 ok, 1 API error, unreachable or timed out, 2 usage error; run --wait and logs -f: the
run's exit code (1 for FAILED/LOST without one, 130 for TERMINATED). Ctrl-C while following leaves
the run running (exit 130) and says how to follow or stop it.
`;

/** The version of the package this CLI belongs to (its package.json, found above this file in the source and in dist). */
export function cliVersion(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'runyard' && pkg.version) return pkg.version;
    } catch {
      /* none here: look higher */
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

export type { CliIo } from './context';

interface GlobalOptions {
  json?: boolean;
  timeout: string;
}

/** Runs the CLI; answers the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const style = styleFor(io.stdout, io.env);
  const spinner = new Spinner(io.stdout.isTTY === true && io.stderr.isTTY === true, io.stderr);
  let code = 0;
  const program = new Command('runyard')
    .description('The Runyard command-line client: runs, their logs and statuses, and Autosubmit commands.')
    .version(cliVersion(), '-V, --version', 'print the version of the runyard CLI')
    .option('--json', 'print the raw JSON answers')
    .addOption(new Option('--timeout <seconds>', 'how long to wait for an answer').env('RUNYARD_TIMEOUT').default('30'))
    .addHelpText('after', HELP_AFTER)
    .showHelpAfterError('(runyard --help lists the commands and options)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const context = (): Context => {
    const options = program.opts<GlobalOptions>();
    const seconds = Number(options.timeout);
    if (!(seconds > 0)) throw new UsageError(`--timeout (RUNYARD_TIMEOUT) must be a number of seconds, not "${options.timeout}"`);
    const baseUrl = io.env.RUNYARD_URL || 'http://127.0.0.1:8080';
    try {
      new URL(baseUrl);
    } catch {
      throw new UsageError(`RUNYARD_URL is not a URL: ${baseUrl}`);
    }
    const client = new RunyardClient(baseUrl, io.env.RUNYARD_TOKEN || undefined, seconds * 1000);
    return { client, io, style, spinner, json: options.json === true };
  };
  const action: Action =
    <A extends unknown[]>(run: (ctx: Context, ...args: A) => Promise<number>) =>
    async (...args: A) => {
      code = await run(context(), ...args);
    };
  withProfileOptions(program.command('run <expid>').description('start a run of the experiment'))
    .option('-w, --wait', 'follow its log and exit with its exit code')
    .action(action((ctx, expid: string, o: ProfileOptions & { wait?: boolean }) => runCommand(ctx, expid, o)));
  program
    .command('show <run_id>')
    .description('one run: its state and why, exit code, attempts, times, where it ran, argv, what it returned')
    .action(action((ctx, id: string) => showCommand(ctx, runIdOf(id))));
  program
    .command('status <expid>')
    .description("the experiment's latest run")
    .action(action((ctx, expid: string) => statusCommand(ctx, expid)));
  program
    .command('stop [expid]')
    .description("stop the experiment's run (autosubmit stop), or with --run any run by its id")
    .option('--run <run_id>', 'stop this run (any kind) instead')
    .option('--force', 'autosubmit stop --force (a run of an experiment)')
    .action(
      action((ctx, expid: string | undefined, o: { run?: string; force?: boolean }) => {
        if (o.run !== undefined && expid !== undefined) throw new UsageError('give an expid or --run RUN_ID, not both');
        if (o.run !== undefined) return stopRunCommand(ctx, runIdOf(o.run), o.force === true);
        if (expid === undefined) throw new UsageError('stop needs an expid, or --run RUN_ID');
        return stopCommand(ctx, expid, o.force === true);
      }),
    );
  program
    .command('logs <run_id>')
    .description("a run's output")
    .option('-f, --follow', 'live until the run ends')
    .action(action((ctx, id: string, o: { follow?: boolean }) => logsCommand(ctx, runIdOf(id), o.follow === true)));
  program
    .command('runs')
    .description('recent runs, newest first')
    .option('--expid <expid>', 'of this experiment')
    .option('--status <status>', 'in this status')
    .option('--kind <kind>', 'of this kind (run, stop, setstatus, …)')
    .option('--limit <n>', 'at most this many')
    .action(action((ctx, o: Record<string, string | undefined>) => runsCommand(ctx, o)));
  withProfileOptions(program.command('set-status <expid>').description('set the status of jobs'))
    .requiredOption('--jobs <a,b>', 'the job names, comma-separated')
    .requiredOption('--status <status>', 'the final status')
    .action(action((ctx, expid: string, o: ProfileOptions & { jobs: string; status: string }) => setStatusCommand(ctx, expid, o)));
  withProfileOptions(program.command('create').description('create an experiment'))
    .requiredOption('--description <text>', 'its description')
    .option('--hpc <platform>', 'its HPC platform')
    .action(action((ctx, o: ProfileOptions & { description: string; hpc?: string }) => createCommand(ctx, o)));
  addScheduleCommands(program, action);
  addSdkCommands(program, action);
  addAgentCommands(program, action, followRun);
  addTokenCommands(program, action);

  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return 2;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    spinner.stop();
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    if (e instanceof UsageError) {
      io.stderr.write(`runyard: ${e.message}\n(runyard --help lists the commands and options)\n`);
      return 2;
    }
    io.stderr.write(`runyard: ${e instanceof ApiError ? explain(e, io.env) : (e as Error).message}\n`);
    return 1;
  }
}

/** A refused token is the user's to fix: say which setting it comes from. */
function explain(e: ApiError, env: NodeJS.ProcessEnv): string {
  if (e.status !== 401) return e.message;
  return env.RUNYARD_TOKEN
    ? `RUNYARD_TOKEN was refused: ${e.message}`
    : `Runyard needs an API token: set RUNYARD_TOKEN (an admin makes one with runyard tokens create NAME --role ROLE) — ${e.message}`;
}

async function runCommand(ctx: Context, expid: string, o: ProfileOptions & { wait?: boolean }): Promise<number> {
  const body = { expid, ...profileBody(o) };
  const run = await ctx.spinner.while(`submitting ${expid}`, ctx.client.json<RunAnswer>('POST', '/api/v1/runs', body));
  if (ctx.json) printJson(ctx, run);
  else ctx.io.stderr.write(`run ${run.id} of ${expid} accepted (${statusText(styleFor(ctx.io.stderr, ctx.io.env), run.status)})\n`);
  if (!o.wait) {
    if (!ctx.json) ctx.io.stdout.write(`${run.id}\n`);
    return 0;
  }
  return (await followRun(ctx, run.id, `waiting for run ${run.id}`, run)).exitCode;
}

async function showCommand(ctx: Context, id: number): Promise<number> {
  const run = await ctx.spinner.while(`reading run ${id}`, ctx.client.json<RunAnswer>('GET', `/api/v1/runs/${id}`));
  if (ctx.json) printJson(ctx, run);
  else ctx.io.stdout.write(formatRun(run, ctx.style));
  return 0;
}

interface RunnerStatus {
  expid: string;
  runner_id: number | null;
  runner: string | null;
  module_loader: string | null;
  modules: string | null;
  status: string;
  pid: number | null;
  created: string | null;
  modified: string | null;
  detailed_status: string | null;
  exit_code: number | null;
}

async function statusCommand(ctx: Context, expid: string): Promise<number> {
  const s = await ctx.spinner.while(
    `asking for ${expid}`,
    ctx.client.json<RunnerStatus>('POST', '/v4/runners/command/get-runner-run-status', { expid }),
  );
  if (ctx.json) {
    printJson(ctx, s);
    return 0;
  }
  ctx.io.stdout.write(
    formatFields([
      ['expid', s.expid],
      ['status', statusText(ctx.style, s.status)],
      ['detailed status', statusText(ctx.style, s.detailed_status)],
      ['run', orDash(s.runner_id)],
      ['runner', orDash(s.runner)],
      ['module loader', orDash(s.module_loader)],
      ['modules', orDash(s.modules)],
      ['pid', orDash(s.pid)],
      ['exit code', orDash(s.exit_code)],
      ['created', formatTime(s.created)],
      ['modified', formatTime(s.modified)],
    ]),
  );
  return 0;
}

async function stopCommand(ctx: Context, expid: string, force: boolean): Promise<number> {
  const answer = await ctx.spinner.while(
    `stopping ${expid}`,
    ctx.client.json<{ message: string; run_id: number; detailed_status: string }>('POST', '/v4/runners/command/stop-experiment', {
      expid,
      force,
    }),
  );
  if (ctx.json) printJson(ctx, answer);
  else ctx.io.stdout.write(`${answer.message} (run ${answer.run_id}: ${statusText(ctx.style, answer.detailed_status)})\n`);
  return 0;
}

const runIdOf = (raw: string): number => {
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`RUN_ID must be a positive whole number, not "${raw}"`);
  return Number(raw);
};

async function stopRunCommand(ctx: Context, id: number, force: boolean): Promise<number> {
  const run = await ctx.spinner.while(`stopping run ${id}`, ctx.client.json<RunAnswer>('POST', `/api/v1/runs/${id}/stop`, { force }));
  if (ctx.json) printJson(ctx, run);
  else ctx.io.stdout.write(`run ${run.id}: ${statusText(ctx.style, run.status)}${run.detail ? ` — ${run.detail}` : ''}\n`);
  return 0;
}

async function logsCommand(ctx: Context, id: number, follow: boolean): Promise<number> {
  if (follow) return (await followRun(ctx, id, `following run ${id}`)).exitCode;
  const text = await ctx.spinner.while(`reading run ${id}`, ctx.client.text(`/api/v1/runs/${id}/logs`));
  if (ctx.json) printJson(ctx, { run_id: id, log: text });
  else ctx.io.stdout.write(renderLog(text, new AutomnLines(ctx.style)));
  return 0;
}

/** A whole stored log with Automn's markers rendered, line by line (the last line may lack its newline). */
const renderLog = (text: string, lines: AutomnLines): string =>
  text
    .split('\n')
    .map((line, i, all) => (i === all.length - 1 && line === '' ? [line] : lines.render(line)).join('\n'))
    .join('\n');

async function runsCommand(ctx: Context, o: Record<string, string | undefined>): Promise<number> {
  const q = new URLSearchParams();
  for (const name of ['expid', 'status', 'kind', 'limit']) {
    const v = o[name];
    if (v !== undefined) q.set(name, v);
  }
  if (o.limit !== undefined && !/^\d+$/.test(o.limit)) throw new UsageError(`--limit must be a whole number, not "${o.limit}"`);
  const path = `/api/v1/runs${q.size > 0 ? `?${q}` : ''}`;
  const answer = await ctx.spinner.while('listing runs', ctx.client.json<{ runs: RunRow[]; next_before: number | null }>('GET', path));
  if (ctx.json) printJson(ctx, answer);
  else ctx.io.stdout.write(formatRunsTable(answer.runs, ctx.style));
  return 0;
}

async function setStatusCommand(ctx: Context, expid: string, o: ProfileOptions & { jobs: string; status: string }): Promise<number> {
  const jobs = o.jobs
    .split(',')
    .map((j) => j.trim())
    .filter(Boolean);
  if (jobs.length === 0) throw new UsageError('--jobs needs at least one job name');
  const body = { expid, ...profileBody(o), command_params: { job_names_list: jobs, final_status: o.status } };
  const answer = await ctx.spinner.while(
    `setting the status of ${jobs.length} job(s) of ${expid}`,
    ctx.client.json<{ message: string; run_id: number }>('POST', '/v4/runners/command/set-job-status', body),
  );
  if (ctx.json) printJson(ctx, answer);
  else ctx.io.stdout.write(`${answer.message} (run ${answer.run_id})\n`);
  return 0;
}

async function createCommand(ctx: Context, o: ProfileOptions & { description: string; hpc?: string }): Promise<number> {
  const body = { ...profileBody(o), command_params: { description: o.description, ...(o.hpc !== undefined ? { hpc: o.hpc } : {}) } };
  const answer = await ctx.spinner.while(
    'creating the experiment',
    ctx.client.json<{ expid: string; message: string; run_id: number }>('POST', '/v4/runners/command/create-experiment', body),
  );
  if (ctx.json) printJson(ctx, answer);
  else ctx.io.stdout.write(`${answer.expid}\n`);
  return 0;
}
