import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { UsageError } from './params';
import type { Command } from 'commander';
import { Action, Context, printJson } from './context';
import { formatTable, formatTime, paint, Style, statusText } from './format';

const AGENT_COLORS = { online: 'green', draining: 'yellow', offline: 'red', disabled: 'dim' } as const;

interface AgentRow {
  id: string;
  status: string;
  mode: string;
  tags: string[];
  active_runs: number;
  max_concurrency: number;
  last_seen_at: string | null;
  version: string | null;
}

export function formatAgentsTable(agents: readonly AgentRow[], style: Style): string {
  if (agents.length === 0) return 'no agents\n';
  return formatTable(
    ['ID', 'STATUS', 'MODE', 'TAGS', 'RUNS', 'LAST SEEN', 'VERSION'],
    agents.map((a) => {
      const color = AGENT_COLORS[a.status as keyof typeof AGENT_COLORS];
      return [
        a.id,
        color ? paint(style, color, a.status) : a.status,
        a.mode,
        a.tags.join(',') || '-',
        `${a.active_runs}/${a.max_concurrency}`,
        formatTime(a.last_seen_at),
        a.version ?? '-',
      ];
    }),
  );
}

/** `runyard agents`: every agent, its status and load (needs an admin token). */
async function agentsCommand(ctx: Context): Promise<number> {
  const agents = await ctx.spinner.while('listing agents', ctx.client.json<AgentRow[]>('GET', '/api/v1/agents'));
  if (ctx.json) printJson(ctx, agents);
  else ctx.io.stdout.write(formatAgentsTable(agents, ctx.style));
  return 0;
}

const LANGUAGES: Record<string, string> = {
  '.js': 'node',
  '.cjs': 'node',
  '.mjs': 'node',
  '.py': 'python',
  '.sh': 'shell',
  '.bash': 'shell',
};

/** Follows a run's log to its end and answers its exit code (cli.ts's, shared with run --wait). */
export type FollowLog = (ctx: Context, runId: number, waitingText: string) => Promise<number>;

/** `runyard agents` and `runyard script run FILE`. */
export function addAgentCommands(program: Command, action: Action, followLog: FollowLog): void {
  program
    .command('agents')
    .description('the runner agents, their status and load (an admin token)')
    .action(action((ctx) => agentsCommand(ctx)));
  program
    .command('script')
    .description('script runs: Node, Python or shell, on a runner agent or a worker')
    .command('run <file>')
    .description('run the file as a script (its language from its name, or --language)')
    .option('--tags <a,b>', 'on an agent with all these tags')
    .option('--agent <id>', 'on this agent')
    .option('--input <json>', 'a JSON object the script reads from INPUT_JSON')
    .option('--time-limit <seconds>', 'stop it after this long')
    .option('--queue-timeout <seconds>', 'fail if no agent takes it within this long')
    .option('--language <language>', 'node, python or shell')
    .option('-w, --wait', 'follow its log, say what it returned, exit with its exit code')
    .action(action((ctx, file: string, o: ScriptOptions) => scriptCommand(ctx, file, o, followLog)));
}

/** `runyard script run FILE`'s options. */
export interface ScriptOptions {
  tags?: string;
  agent?: string;
  input?: string;
  timeLimit?: string;
  queueTimeout?: string;
  language?: string;
  wait?: boolean;
}

const seconds = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--${name} must be whole seconds`);
  return Number(v);
};

/** The script run's body from the command line: the file's code, its language, where it goes. */
export function scriptBody(file: string, code: string, o: ScriptOptions): Record<string, unknown> {
  const language = o.language ?? LANGUAGES[extname(file).toLowerCase()];
  if (!language) throw new UsageError(`cannot tell the language of ${file} from its name: give --language node|python|shell`);
  let input: unknown;
  if (o.input !== undefined) {
    try {
      input = JSON.parse(o.input);
    } catch {
      throw new UsageError('--input must be a JSON object');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new UsageError('--input must be a JSON object');
  }
  const body: Record<string, unknown> = {
    language,
    code,
    tags: o.tags
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    agent: o.agent,
    input,
    timeout: seconds('time-limit', o.timeLimit),
    queue_timeout: seconds('queue-timeout', o.queueTimeout),
  };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

/** `runyard script run FILE`: runs the file as a script (on an agent with --tags/--agent); --wait follows it and says what it returned. */
async function scriptCommand(ctx: Context, file: string, o: ScriptOptions, followLog: FollowLog): Promise<number> {
  let code: string;
  try {
    code = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const body = scriptBody(file, code, o);
  const run = await ctx.spinner.while(
    `submitting ${file}`,
    ctx.client.json<{ id: number; status: string }>('POST', '/api/v1/scripts/run', body),
  );
  if (!o.wait) {
    if (ctx.json) printJson(ctx, run);
    else ctx.io.stdout.write(`${run.id}\n`);
    return 0;
  }
  if (!ctx.json) ctx.io.stderr.write(`script run ${run.id} accepted (${statusText(ctx.style, run.status)})\n`);
  const exitCode = await followLog(ctx, run.id, `waiting for script run ${run.id}`);
  const done = await ctx.client.json<{ result: { return_data?: unknown } | null }>('GET', `/api/v1/runs/${run.id}`);
  const returned = done.result?.return_data;
  if (ctx.json) printJson(ctx, done);
  else if (returned !== undefined && returned !== null) ctx.io.stderr.write(`returned ${JSON.stringify(returned)}\n`);
  return exitCode;
}
