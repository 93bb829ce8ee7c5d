import type { Command } from 'commander';
import { ApiError } from './client';
import { Action, Context, printJson } from './context';
import { UsageError } from './params';
import { ApplicationRow, formatApplicationsTable, formatSessionsTable, SessionRow } from './sdk-format';

/** `runyard apps` (list by default, rm) and `runyard sessions`: the Runner SDK's applications and sessions. */
export function addSdkCommands(program: Command, action: Action): void {
  const apps = program.command('apps').description('Runner SDK applications (list by default)');
  apps
    .command('list', { isDefault: true })
    .description('every application: its runtime, profile, open sessions, package and lease')
    .action(action((ctx) => listApps(ctx)));
  apps
    .command('rm <name>')
    .description('remove an application as its client would have: its sessions closed, objects deleted, package released')
    .action(action((ctx, name: string) => removeApp(ctx, name)));
  program
    .command('sessions')
    .description("Runner SDK sessions, newest first, with their calls and their executors' runs")
    .option('--app <name>', 'of this application')
    .option('--status <status>', 'open, closed or lost')
    .option('--limit <n>', 'at most this many')
    .action(action((ctx, o: { app?: string; status?: string; limit?: string }) => listSessions(ctx, o)));
}

async function listApps(ctx: Context): Promise<number> {
  const answer = await ctx.spinner.while(
    'listing applications',
    ctx.client.json<{ applications: ApplicationRow[] }>('GET', '/api/v1/applications'),
  );
  if (ctx.json) printJson(ctx, answer);
  else ctx.io.stdout.write(formatApplicationsTable(answer.applications));
  return 0;
}

async function removeApp(ctx: Context, name: string): Promise<number> {
  const path = encodeURIComponent(name);
  const gone = await ctx.spinner.while(
    `removing ${name}`,
    ctx.client.json<{ package_sha: string }>('DELETE', `/api/v1/applications/${path}`),
  );
  const unless = (status: number) => (e: unknown) => (e instanceof ApiError && e.status === status ? null : Promise.reject(e));
  await ctx.client.json('DELETE', `/api/v1/objects/${path}`).catch(unless(404)); // it had none
  // Another application on the same package keeps it.
  await ctx.client.json('DELETE', `/api/v1/packages/${gone.package_sha}`).catch(unless(409));
  if (ctx.json) printJson(ctx, { name, removed: true });
  else ctx.io.stdout.write(`application ${name} removed: its sessions closed, its objects deleted, its package released\n`);
  return 0;
}

async function listSessions(ctx: Context, o: { app?: string; status?: string; limit?: string }): Promise<number> {
  const q = new URLSearchParams();
  if (o.app !== undefined) q.set('application', o.app);
  if (o.status !== undefined) q.set('status', o.status);
  if (o.limit !== undefined) {
    if (!/^\d+$/.test(o.limit)) throw new UsageError(`--limit must be a whole number, not "${o.limit}"`);
    q.set('limit', o.limit);
  }
  const answer = await ctx.spinner.while(
    'listing sessions',
    ctx.client.json<{ sessions: SessionRow[] }>('GET', `/api/v1/sessions${q.size > 0 ? `?${q}` : ''}`),
  );
  if (ctx.json) printJson(ctx, answer);
  else ctx.io.stdout.write(formatSessionsTable(answer.sessions, ctx.style));
  return 0;
}
