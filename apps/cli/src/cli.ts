import { agentsCommand, scriptCommand } from './agent-commands';
import { OptionSpecs, parseArgs, ParsedArgs, parseParams, UsageError } from './argv';
import { ApiError, LogFrame, RunyardClient } from './client';
import { formatDuration, formatFields, formatRunsTable, formatTime, paint, RunRow, statusText, Style, styleFor } from './format';
import { Spinner } from './spinner';

export const USAGE = `Usage: runyard <command> [options]

Commands:
  run EXPID --profile P [--param KEY=VALUE]... [--wait]   start a run (--wait: follow its log, exit with its exit code)
  status EXPID                                           the experiment's latest run
  stop EXPID [--force]                                   stop the experiment's run
  logs RUN_ID [-f|--follow]                              a run's output (-f: live until it ends)
  runs [--expid E] [--status S] [--kind K] [--limit N]   recent runs, newest first
  set-status EXPID --profile P --jobs a,b --status S     set the status of jobs
  create --profile P --description D [--hpc X]           create an experiment
  agents                                                 the runner agents (admin token)
  script run FILE [--tags a,b] [--agent ID] [--input JSON] [--timeout S] [--language L] [--wait]
                                                         run a script (node, python, shell) on an agent or a worker

Options for every command: --json (the raw JSON answer), -h/--help.
--param KEY=VALUE fills profile_params (dotted keys nest: SSH.USER=me).
Environment: RUNYARD_URL (default http://127.0.0.1:8080), RUNYARD_TOKEN (sent as a bearer token), NO_COLOR.
Exit codes: 0 ok, 1 API error or failed run, 2 usage error; run --wait and logs -f: the run's exit code
(1 for FAILED/LOST without one, 130 for TERMINATED).
`;

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

export interface Context {
  client: RunyardClient;
  io: CliIo;
  style: Style;
  spinner: Spinner;
  json: boolean;
  args: ParsedArgs;
}

const COMMON: OptionSpecs = { json: { kind: 'boolean' }, help: { kind: 'boolean', short: 'h' } };
const PROFILE: OptionSpecs = { profile: { kind: 'string' }, param: { kind: 'list' } };

interface Command {
  options: OptionSpecs;
  positionals: string[];
  run(ctx: Context): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  run: { options: { ...PROFILE, wait: { kind: 'boolean', short: 'w' } }, positionals: ['EXPID'], run: runCommand },
  status: { options: {}, positionals: ['EXPID'], run: statusCommand },
  stop: { options: { force: { kind: 'boolean' } }, positionals: ['EXPID'], run: stopCommand },
  logs: { options: { follow: { kind: 'boolean', short: 'f' } }, positionals: ['RUN_ID'], run: logsCommand },
  runs: {
    options: { expid: { kind: 'string' }, status: { kind: 'string' }, kind: { kind: 'string' }, limit: { kind: 'string' } },
    positionals: [],
    run: runsCommand,
  },
  'set-status': {
    options: { ...PROFILE, jobs: { kind: 'string' }, status: { kind: 'string' } },
    positionals: ['EXPID'],
    run: setStatusCommand,
  },
  create: {
    options: { ...PROFILE, description: { kind: 'string' }, hpc: { kind: 'string' } },
    positionals: [],
    run: createCommand,
  },
  agents: { options: {}, positionals: [], run: agentsCommand },
  script: {
    options: {
      tags: { kind: 'string' },
      agent: { kind: 'string' },
      input: { kind: 'string' },
      timeout: { kind: 'string' },
      'queue-timeout': { kind: 'string' },
      language: { kind: 'string' },
      wait: { kind: 'boolean', short: 'w' },
    },
    positionals: ['run', 'FILE'],
    run: scriptCommand,
  },
};

/** Runs the CLI; answers the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  const style = styleFor(io.stdout, io.env);
  const spinner = new Spinner(io.stdout.isTTY === true && io.stderr.isTTY === true, io.stderr);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"`);
    const args = parseArgs(rest, { ...COMMON, ...command.options });
    if (args.options.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (args.positionals.length !== command.positionals.length) {
      throw new UsageError(
        command.positionals.length === 0
          ? `${name} takes no arguments`
          : `${name} takes ${command.positionals.join(' ')} (got ${args.positionals.length} arguments)`,
      );
    }
    const baseUrl = io.env.RUNYARD_URL || 'http://127.0.0.1:8080';
    try {
      new URL(baseUrl);
    } catch {
      throw new UsageError(`RUNYARD_URL is not a URL: ${baseUrl}`);
    }
    const client = new RunyardClient(baseUrl, io.env.RUNYARD_TOKEN || undefined);
    return await command.run({ client, io, style, spinner, json: args.options.json === true, args });
  } catch (e) {
    spinner.stop();
    if (e instanceof UsageError) {
      io.stderr.write(`runyard: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof ApiError) {
      io.stderr.write(`runyard: ${e.message}\n`);
      return 1;
    }
    io.stderr.write(`runyard: ${(e as Error).message}\n`);
    return 1;
  }
}

const str = (args: ParsedArgs, name: string): string | undefined => args.options[name] as string | undefined;
const required = (args: ParsedArgs, name: string): string => {
  const v = str(args, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
};
const profileBody = (args: ParsedArgs) => {
  const params = parseParams((args.options.param as string[] | undefined) ?? []);
  return { profile_name: required(args, 'profile'), ...(Object.keys(params).length > 0 ? { profile_params: params } : {}) };
};
export const printJson = (ctx: Context, value: unknown) =>
  ctx.io.stdout.write(JSON.stringify(value, null, ctx.io.stdout.isTTY ? 2 : 0) + '\n');

/** The exit code a finished run stands for. */
export function exitCodeOf(result: { status: string; code: number | null }): number {
  if (result.status === 'TERMINATED') return 130;
  if (result.code !== null && result.code !== undefined) return result.code === 0 && result.status !== 'COMPLETED' ? 1 : result.code;
  return result.status === 'COMPLETED' ? 0 : 1;
}

/** Prints a run's log as it comes and answers its exit code. */
export async function followLog(ctx: Context, runId: number, waitingText: string): Promise<number> {
  const { io, style, spinner } = ctx;
  spinner.start(waitingText);
  let result: Extract<LogFrame, { type: 'result' }>['data'] | undefined;
  try {
    for await (const frame of ctx.client.follow(runId)) {
      spinner.stop();
      if (ctx.json) {
        io.stdout.write(JSON.stringify(frame) + '\n');
      } else if (frame.type === 'log') {
        io.stdout.write((frame.stream === 'stderr' ? paint(style, 'red', frame.line) : frame.line) + '\n');
      }
      if (frame.type === 'result') result = frame.data;
    }
  } finally {
    spinner.stop();
  }
  if (!result) return 1;
  if (!ctx.json) {
    const code = result.code === null ? '' : ` (exit ${result.code})`;
    io.stderr.write(
      `run ${result.runId} ${statusText(styleFor(io.stderr, io.env), result.status)}${code} in ${formatDuration(result.duration)}\n`,
    );
  }
  return exitCodeOf(result);
}

interface RunAnswer extends RunRow {
  detail: string | null;
}

async function runCommand(ctx: Context): Promise<number> {
  const [expid] = ctx.args.positionals;
  const body = { expid, ...profileBody(ctx.args) };
  const run = await ctx.spinner.while(`submitting ${expid}`, ctx.client.json<RunAnswer>('POST', '/api/v1/runs', body));
  if (ctx.json) printJson(ctx, run);
  else ctx.io.stderr.write(`run ${run.id} of ${expid} accepted (${statusText(styleFor(ctx.io.stderr, ctx.io.env), run.status)})\n`);
  if (!ctx.args.options.wait) {
    if (!ctx.json) ctx.io.stdout.write(`${run.id}\n`);
    return 0;
  }
  return followLog(ctx, run.id, `waiting for run ${run.id}`);
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

async function statusCommand(ctx: Context): Promise<number> {
  const [expid] = ctx.args.positionals;
  const s = await ctx.spinner.while(
    `asking for ${expid}`,
    ctx.client.json<RunnerStatus>('POST', '/v4/runners/command/get-runner-run-status', { expid }),
  );
  if (ctx.json) {
    printJson(ctx, s);
    return 0;
  }
  const v = (x: unknown) => (x === null || x === undefined || x === '' ? '-' : String(x));
  ctx.io.stdout.write(
    formatFields([
      ['expid', s.expid],
      ['status', statusText(ctx.style, s.status)],
      ['detailed status', statusText(ctx.style, s.detailed_status)],
      ['run', v(s.runner_id)],
      ['runner', v(s.runner)],
      ['module loader', v(s.module_loader)],
      ['modules', v(s.modules)],
      ['pid', v(s.pid)],
      ['exit code', v(s.exit_code)],
      ['created', formatTime(s.created)],
      ['modified', formatTime(s.modified)],
    ]),
  );
  return 0;
}

async function stopCommand(ctx: Context): Promise<number> {
  const [expid] = ctx.args.positionals;
  const force = ctx.args.options.force === true;
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

async function logsCommand(ctx: Context): Promise<number> {
  const id = runIdOf(ctx.args.positionals[0]);
  if (ctx.args.options.follow) return followLog(ctx, id, `following run ${id}`);
  const text = await ctx.spinner.while(`reading run ${id}`, ctx.client.text(`/api/v1/runs/${id}/logs`));
  if (ctx.json) printJson(ctx, { run_id: id, log: text });
  else ctx.io.stdout.write(text);
  return 0;
}

async function runsCommand(ctx: Context): Promise<number> {
  const q = new URLSearchParams();
  for (const name of ['expid', 'status', 'kind', 'limit']) {
    const v = str(ctx.args, name);
    if (v !== undefined) q.set(name, v);
  }
  const limit = str(ctx.args, 'limit');
  if (limit !== undefined && !/^\d+$/.test(limit)) throw new UsageError(`--limit must be a whole number, not "${limit}"`);
  const path = `/api/v1/runs${q.size > 0 ? `?${q}` : ''}`;
  const answer = await ctx.spinner.while('listing runs', ctx.client.json<{ runs: RunRow[]; next_before: number | null }>('GET', path));
  if (ctx.json) printJson(ctx, answer);
  else ctx.io.stdout.write(formatRunsTable(answer.runs, ctx.style));
  return 0;
}

async function setStatusCommand(ctx: Context): Promise<number> {
  const [expid] = ctx.args.positionals;
  const jobs = required(ctx.args, 'jobs')
    .split(',')
    .map((j) => j.trim())
    .filter(Boolean);
  if (jobs.length === 0) throw new UsageError('--jobs needs at least one job name');
  const body = { expid, ...profileBody(ctx.args), command_params: { job_names_list: jobs, final_status: required(ctx.args, 'status') } };
  const answer = await ctx.spinner.while(
    `setting the status of ${jobs.length} job(s) of ${expid}`,
    ctx.client.json<{ message: string; run_id: number }>('POST', '/v4/runners/command/set-job-status', body),
  );
  if (ctx.json) printJson(ctx, answer);
  else ctx.io.stdout.write(`${answer.message} (run ${answer.run_id})\n`);
  return 0;
}

async function createCommand(ctx: Context): Promise<number> {
  const hpc = str(ctx.args, 'hpc');
  const body = {
    ...profileBody(ctx.args),
    command_params: { description: required(ctx.args, 'description'), ...(hpc !== undefined ? { hpc } : {}) },
  };
  const answer = await ctx.spinner.while(
    'creating the experiment',
    ctx.client.json<{ expid: string; message: string; run_id: number }>('POST', '/v4/runners/command/create-experiment', body),
  );
  if (ctx.json) printJson(ctx, answer);
  else ctx.io.stdout.write(`${answer.expid}\n`);
  return 0;
}
