import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { UsageError } from './params';
import type { Command } from 'commander';
import { Action, Context, printJson } from './context';
import type { FollowRun } from './follow';
import { formatTable, formatTime, paint, Style, statusText } from './format';
import { RunAnswer, shellWord } from './run-view';

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

export function formatAgentsTable(agents: readonly AgentRow[], style: Style, timeZone?: string): string {
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
        formatTime(a.last_seen_at, timeZone),
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

/** `runyard agents register`'s options. */
export interface RegisterOptions {
  name?: string;
  tags?: string;
  maxConcurrency?: string;
  stateDir: string;
}

const AGENT_MAIN = 'dist/apps/agent/main.js';

/**
 * The shell command that starts a pull agent as registered (README "Runner agents"): its settings
 * are environment variables of `dist/apps/agent/main.js`, each value quoted for the shell.
 */
export function agentStartCommand(url: string, agent: { id: string; secret: string; max_concurrency?: number }, stateDir: string): string {
  const env: [string, string][] = [
    ['RUNYARD_URL', url],
    ['RUNYARD_AGENT_ID', agent.id],
    ['RUNYARD_AGENT_SECRET', agent.secret],
    ['RUNYARD_AGENT_STATE_DIR', stateDir],
  ];
  if (agent.max_concurrency !== undefined) env.push(['RUNYARD_AGENT_CONCURRENCY', String(agent.max_concurrency)]);
  // Only the value is quoted: `VAR='a b'` stays an assignment, `'VAR=a b'` would be a command.
  return `${env.map(([k, v]) => `${k}=${shellWord(v)}`).join(' ')} node ${AGENT_MAIN}`;
}

/** `runyard agents register ID`: the agent's secret, shown this once, inside the command that starts it. */
async function registerAgent(ctx: Context, id: string, o: RegisterOptions): Promise<number> {
  const body: Record<string, unknown> = { id };
  if (o.name !== undefined) body.name = o.name;
  if (o.tags !== undefined) body.tags = listOf(o.tags);
  if (o.maxConcurrency !== undefined) {
    if (!/^\d+$/.test(o.maxConcurrency) || Number(o.maxConcurrency) < 1)
      throw new UsageError('--max-concurrency must be a whole number ≥ 1');
    body.max_concurrency = Number(o.maxConcurrency);
  }
  const agent = await ctx.spinner.while(
    `registering agent ${id}`,
    ctx.client.json<AgentRow & { secret: string }>('POST', '/api/v1/agents', body),
  );
  if (ctx.json) {
    printJson(ctx, { ...agent, start_command: agentStartCommand(ctx.client.baseUrl, agent, o.stateDir) });
    return 0;
  }
  ctx.io.stderr.write(
    `agent ${agent.id} registered (tags: ${agent.tags.join(',') || '-'}). Its secret is in this command and shown this once;\n` +
      `start the agent with it on its host, in a Runyard checkout built with npm run build (RUNYARD_URL as that host reaches Runyard):\n`,
  );
  ctx.io.stdout.write(`${agentStartCommand(ctx.client.baseUrl, agent, o.stateDir)}\n`);
  return 0;
}

const listOf = (csv: string): string[] =>
  csv
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/** `runyard agents` (list, register) and `runyard script run FILE`. */
export function addAgentCommands(program: Command, action: Action, followRun: FollowRun): void {
  const agents = program.command('agents').description('the runner agents (an admin token; list by default)');
  agents
    .command('list', { isDefault: true })
    .description('every agent, its status and load')
    .action(action((ctx) => agentsCommand(ctx)));
  agents
    .command('register <id>')
    .description('register a pull agent; prints the command that starts it, with its secret (shown this once)')
    .option('--name <name>', 'a name for people')
    .option('--tags <a,b>', 'its tags: profiles and script runs ask for agents by tag')
    .option('--max-concurrency <n>', 'at most this many runs at once')
    .option('--state-dir <dir>', 'where the agent keeps its runs, on its host', '/var/lib/runyard-agent')
    .action(action((ctx, id: string, o: RegisterOptions) => registerAgent(ctx, id, o)));
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
    .action(action((ctx, file: string, o: ScriptOptions) => scriptCommand(ctx, file, o, followRun)));
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
    tags: o.tags === undefined ? undefined : listOf(o.tags),
    agent: o.agent,
    input,
    timeout: seconds('time-limit', o.timeLimit),
    queue_timeout: seconds('queue-timeout', o.queueTimeout),
  };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

/** `runyard script run FILE`: runs the file as a script (on an agent with --tags/--agent); --wait follows it and says what it returned. */
async function scriptCommand(ctx: Context, file: string, o: ScriptOptions, followRun: FollowRun): Promise<number> {
  let code: string;
  try {
    code = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const body = scriptBody(file, code, o);
  const run = await ctx.spinner.while(`submitting ${file}`, ctx.client.json<RunAnswer>('POST', '/api/v1/scripts/run', body));
  if (!o.wait) {
    if (ctx.json) printJson(ctx, run);
    else ctx.io.stdout.write(`${run.id}\n`);
    return 0;
  }
  if (!ctx.json) ctx.io.stderr.write(`script run ${run.id} accepted (${statusText(ctx.style, run.status)})\n`);
  const followed = await followRun(ctx, run.id, `waiting for script run ${run.id}`, run);
  const returned = followed.run?.result?.return_data;
  if (ctx.json) printJson(ctx, followed.run);
  else if (returned !== undefined && returned !== null) ctx.io.stderr.write(`returned ${JSON.stringify(returned)}\n`);
  return followed.exitCode;
}
