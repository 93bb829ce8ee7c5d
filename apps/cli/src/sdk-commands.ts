import { ParsedArgs, UsageError } from './argv';
import { ApiError, RunyardClient } from './client';
import type { Style } from './format';
import { ApplicationRow, formatApplicationsTable, formatSessionsTable, SessionRow } from './sdk-format';
import type { Spinner } from './spinner';

/** What a Runner SDK command needs of the CLI's context. */
interface SdkContext {
  client: RunyardClient;
  io: { stdout: NodeJS.WriteStream };
  style: Style;
  spinner: Spinner;
  json: boolean;
  args: ParsedArgs;
}

const print = (ctx: SdkContext, value: unknown) => ctx.io.stdout.write(JSON.stringify(value, null, ctx.io.stdout.isTTY ? 2 : 0) + '\n');

/** `runyard apps` lists the applications; `runyard apps rm NAME` removes one as its client would have (Flame's order). */
export async function appsCommand(ctx: SdkContext): Promise<number> {
  const [action, name] = ctx.args.positionals;
  if (action === undefined) {
    const answer = await ctx.spinner.while(
      'listing applications',
      ctx.client.json<{ applications: ApplicationRow[] }>('GET', '/api/v1/applications'),
    );
    if (ctx.json) print(ctx, answer);
    else ctx.io.stdout.write(formatApplicationsTable(answer.applications));
    return 0;
  }
  if (action !== 'rm' || name === undefined) throw new UsageError('apps takes no arguments, or rm NAME');
  const gone = await ctx.spinner.while(
    `removing ${name}`,
    ctx.client.json<{ package_sha: string }>('DELETE', `/api/v1/applications/${encodeURIComponent(name)}`),
  );
  await ctx.client.json('DELETE', `/api/v1/objects/${encodeURIComponent(name)}`);
  // Another application on the same package keeps it.
  await ctx.client
    .json('DELETE', `/api/v1/packages/${gone.package_sha}`)
    .catch((e) => (e instanceof ApiError && e.status === 409 ? null : Promise.reject(e)));
  if (ctx.json) print(ctx, { name, removed: true });
  else ctx.io.stdout.write(`application ${name} removed: its sessions closed, its objects deleted, its package released\n`);
  return 0;
}

/** `runyard sessions [--app NAME] [--status open|closed|lost] [--limit N]`. */
export async function sessionsCommand(ctx: SdkContext): Promise<number> {
  const q = new URLSearchParams();
  const opt = (name: string) => ctx.args.options[name] as string | undefined;
  if (opt('app') !== undefined) q.set('application', opt('app')!);
  if (opt('status') !== undefined) q.set('status', opt('status')!);
  if (opt('limit') !== undefined) {
    if (!/^\d+$/.test(opt('limit')!)) throw new UsageError(`--limit must be a whole number, not "${opt('limit')}"`);
    q.set('limit', opt('limit')!);
  }
  const answer = await ctx.spinner.while(
    'listing sessions',
    ctx.client.json<{ sessions: SessionRow[] }>('GET', `/api/v1/sessions${q.size > 0 ? `?${q}` : ''}`),
  );
  if (ctx.json) print(ctx, answer);
  else ctx.io.stdout.write(formatSessionsTable(answer.sessions, ctx.style));
  return 0;
}
