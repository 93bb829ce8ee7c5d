import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { UsageError } from './argv';
import type { Context as CommandContext } from './cli';
import { followLog, printJson } from './cli';
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
export async function agentsCommand(ctx: CommandContext): Promise<number> {
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

/** The script run's body from the command line: the file's code, its language, where it goes. */
export function scriptBody(file: string, code: string, options: Record<string, unknown>): Record<string, unknown> {
  const language = (options.language as string | undefined) ?? LANGUAGES[extname(file).toLowerCase()];
  if (!language) throw new UsageError(`cannot tell the language of ${file} from its name: give --language node|python|shell`);
  const body: Record<string, unknown> = { language, code };
  const tags = options.tags as string | undefined;
  if (tags !== undefined)
    body.tags = tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
  if (options.agent !== undefined) body.agent = options.agent;
  if (options.input !== undefined) {
    try {
      body.input = JSON.parse(options.input as string);
    } catch {
      throw new UsageError('--input must be a JSON object');
    }
    if (typeof body.input !== 'object' || body.input === null || Array.isArray(body.input))
      throw new UsageError('--input must be a JSON object');
  }
  for (const name of ['timeout', 'queue-timeout'] as const) {
    const v = options[name] as string | undefined;
    if (v === undefined) continue;
    if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be whole seconds`);
    body[name.replace('-', '_')] = Number(v);
  }
  return body;
}

/** `runyard script run FILE`: runs the file as a script (on an agent with --tags/--agent); --wait follows it and says what it returned. */
export async function scriptCommand(ctx: CommandContext): Promise<number> {
  const [sub, file] = ctx.args.positionals;
  if (sub !== 'run') throw new UsageError(`script takes run FILE (got "${sub}")`);
  let code: string;
  try {
    code = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const body = scriptBody(file, code, ctx.args.options);
  const run = await ctx.spinner.while(
    `submitting ${file}`,
    ctx.client.json<{ id: number; status: string }>('POST', '/api/v1/scripts/run', body),
  );
  if (!ctx.args.options.wait) {
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
