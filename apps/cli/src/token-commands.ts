import type { Command } from 'commander';
import { Action, Context, printJson } from './context';
import { formatTable, formatTime, paint, Style } from './format';
import { UsageError } from './params';

const ROLES = ['viewer', 'operator', 'admin'];

export interface TokenRow {
  id: string;
  name: string;
  role: string;
  created_at: string;
  created_by: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** `runyard tokens`: one line per token, revoked ones dimmed, times with their offset. */
export function formatTokensTable(tokens: readonly TokenRow[], style: Style, timeZone?: string): string {
  if (tokens.length === 0) return 'no tokens\n';
  return formatTable(
    ['ID', 'NAME', 'ROLE', 'CREATED', 'BY', 'LAST USED', 'REVOKED'],
    tokens.map((t) => [
      t.id,
      t.name,
      t.role,
      formatTime(t.created_at, timeZone),
      t.created_by,
      formatTime(t.last_used_at, timeZone),
      t.revoked_at ? paint(style, 'dim', formatTime(t.revoked_at, timeZone)) : '-',
    ]),
  );
}

/** The token a name or an id stands for: an active one first (a revoked token keeps its name). */
export function tokenNamed(tokens: readonly TokenRow[], nameOrId: string): TokenRow | undefined {
  const matching = tokens.filter((t) => t.id === nameOrId || t.name === nameOrId);
  return matching.find((t) => !t.revoked_at) ?? matching[0];
}

/** `runyard tokens …` (an admin token): list (the default), create, revoke. */
export function addTokenCommands(program: Command, action: Action): void {
  const tokens = program.command('tokens').description('API tokens and their roles (an admin token; list by default)');
  tokens
    .command('list', { isDefault: true })
    .description('every token: its role, who made it, when it was last used, whether it is revoked')
    .action(action((ctx) => listTokens(ctx)));
  tokens
    .command('create <name>')
    .description('make a token (printed this once: store it now)')
    .requiredOption('--role <role>', 'viewer (reads), operator (also runs and stops) or admin (also manages tokens)')
    .action(action((ctx, name: string, o: { role: string }) => createToken(ctx, name, o.role)));
  tokens
    .command('revoke <name|id>')
    .description('revoke a token: requests with it get 401 from then on')
    .action(action((ctx, nameOrId: string) => revokeToken(ctx, nameOrId)));
}

const listOf = (ctx: Context) => ctx.client.json<TokenRow[]>('GET', '/api/v1/tokens');

async function listTokens(ctx: Context): Promise<number> {
  const tokens = await ctx.spinner.while('listing tokens', listOf(ctx));
  if (ctx.json) printJson(ctx, tokens);
  else ctx.io.stdout.write(formatTokensTable(tokens, ctx.style));
  return 0;
}

async function createToken(ctx: Context, name: string, role: string): Promise<number> {
  if (!ROLES.includes(role)) throw new UsageError(`--role must be viewer, operator or admin, not "${role}"`);
  const made = await ctx.spinner.while(
    `creating token ${name}`,
    ctx.client.json<TokenRow & { token: string }>('POST', '/api/v1/tokens', { name, role }),
  );
  if (ctx.json) {
    printJson(ctx, made);
    return 0;
  }
  // The token alone on stdout (RUNYARD_TOKEN=$(runyard tokens create …)); the warning on stderr.
  ctx.io.stderr.write(
    `token ${made.name} (${made.role}, id ${made.id}) created. It is shown this once: store it now (Runyard keeps only its SHA-256).\n`,
  );
  ctx.io.stdout.write(`${made.token}\n`);
  return 0;
}

async function revokeToken(ctx: Context, nameOrId: string): Promise<number> {
  const token = tokenNamed(await ctx.spinner.while('finding the token', listOf(ctx)), nameOrId);
  if (!token) throw new Error(`no token is named or has the id "${nameOrId}" (runyard tokens lists them)`);
  if (token.revoked_at) {
    ctx.io.stderr.write(`runyard: token ${token.name} was revoked already, at ${formatTime(token.revoked_at)}\n`);
    return 1;
  }
  await ctx.spinner.while(`revoking ${token.name}`, ctx.client.json('DELETE', `/api/v1/tokens/${encodeURIComponent(token.id)}`));
  if (ctx.json) printJson(ctx, { revoked: token.id, name: token.name });
  else ctx.io.stdout.write(`token ${token.name} (${token.id}) revoked\n`);
  return 0;
}
