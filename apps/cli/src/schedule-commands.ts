import type { Command } from 'commander';
import { Action, Context, printJson } from './context';
import { formatFields, formatSchedulesTable, formatTime, orDash, ScheduleRow, scheduleState } from './format';
import { profileBody, ProfileOptions, UsageError, withProfileOptions } from './params';

interface ScheduleAnswer extends ScheduleRow {
  last_fire_at: string | null;
  last_run_id: number | null;
  last_skip_reason: string | null;
  recent: { at: string; outcome: string; run_id: number | null; detail: string | null }[];
}

type CreateOptions = ProfileOptions & { cron: string; expid: string; timezone?: string; overlap: string };

const OVERLAPS = ['skip', 'queue'];

/** `runyard schedules …`: list (the default), show, create, pause, resume, delete. */
export function addScheduleCommands(program: Command, action: Action): void {
  const schedules = program.command('schedules').description('cron schedules of experiment runs (list by default)');
  schedules
    .command('list', { isDefault: true })
    .description('every schedule: its next fire, runs started and skips')
    .action(action((ctx) => listSchedules(ctx)));
  schedules
    .command('show <name>')
    .description('one schedule: its next fire times and its newest fires')
    .action(action((ctx, name: string) => showSchedule(ctx, name)));
  withProfileOptions(schedules.command('create <name>').description('schedule runs of an experiment'))
    .requiredOption('--cron <expression>', 'when: 5 fields (minute hour day month weekday), 6 with seconds first, or @daily …')
    .requiredOption('--expid <expid>', 'the experiment to run')
    .option('--timezone <zone>', 'the IANA time zone of the cron’s hours (default UTC)')
    .option('--overlap <skip|queue>', 'while the experiment still runs: skip the fire, or queue it until the run ends', 'skip')
    .action(action((ctx, name: string, o: CreateOptions) => createSchedule(ctx, name, o)));
  for (const [verb, description] of [
    ['pause', 'stop firing until resumed'],
    ['resume', 'fire again'],
  ] as const) {
    schedules
      .command(`${verb} <name>`)
      .description(description)
      .action(action((ctx, name: string) => changeSchedule(ctx, name, verb)));
  }
  schedules
    .command('delete <name>')
    .description('delete the schedule (its runs stay)')
    .action(action((ctx, name: string) => deleteSchedule(ctx, name)));
}

const pathOf = (name: string) => `/api/v1/schedules/${encodeURIComponent(name)}`;

async function listSchedules(ctx: Context): Promise<number> {
  const answer = await ctx.spinner.while('listing schedules', ctx.client.json<{ schedules: ScheduleRow[] }>('GET', '/api/v1/schedules'));
  if (ctx.json) printJson(ctx, answer);
  else ctx.io.stdout.write(formatSchedulesTable(answer.schedules));
  return 0;
}

async function showSchedule(ctx: Context, name: string): Promise<number> {
  return printSchedule(ctx, await ctx.spinner.while(`reading schedule ${name}`, ctx.client.json<ScheduleAnswer>('GET', pathOf(name))));
}

async function createSchedule(ctx: Context, name: string, o: CreateOptions): Promise<number> {
  if (!OVERLAPS.includes(o.overlap)) throw new UsageError(`--overlap must be skip or queue, not "${o.overlap}"`);
  const body = {
    name,
    cron: o.cron,
    expid: o.expid,
    overlap: o.overlap,
    ...(o.timezone !== undefined ? { timezone: o.timezone } : {}),
    ...profileBody(o),
  };
  return printSchedule(
    ctx,
    await ctx.spinner.while(`creating schedule ${name}`, ctx.client.json<ScheduleAnswer>('POST', '/api/v1/schedules', body)),
  );
}

async function changeSchedule(ctx: Context, name: string, verb: 'pause' | 'resume'): Promise<number> {
  const answer = await ctx.spinner.while(
    `${verb === 'pause' ? 'pausing' : 'resuming'} ${name}`,
    ctx.client.json<ScheduleAnswer>('POST', `${pathOf(name)}/${verb}`),
  );
  return printSchedule(ctx, answer);
}

async function deleteSchedule(ctx: Context, name: string): Promise<number> {
  await ctx.spinner.while(`deleting ${name}`, ctx.client.json('DELETE', pathOf(name)));
  if (ctx.json) printJson(ctx, { deleted: name });
  else ctx.io.stdout.write(`schedule ${name} deleted\n`);
  return 0;
}

function printSchedule(ctx: Context, s: ScheduleAnswer): number {
  if (ctx.json) {
    printJson(ctx, s);
    return 0;
  }
  ctx.io.stdout.write(
    formatFields([
      ['schedule', s.name],
      ['cron', `${s.cron} (${s.timezone})`],
      ['runs', `autosubmit run ${s.expid} through ${s.profile_name}`],
      ['overlap', s.overlap],
      ['state', scheduleState(s) + (s.waiting_since ? ` since ${formatTime(s.waiting_since)}` : '')],
      ['next fires', s.next_fires.length > 0 ? s.next_fires.map((t) => formatTime(t)).join(', ') : '-'],
      ['runs started', `${s.fires}${s.last_run_id ? ` (last: run ${s.last_run_id} at ${formatTime(s.last_fire_at)})` : ''}`],
      ['skips', `${s.skips}${s.last_skip_at ? ` (last at ${formatTime(s.last_skip_at)}: ${orDash(s.last_skip_reason)})` : ''}`],
    ]),
  );
  if (s.recent.length > 0) ctx.io.stdout.write('recent fires:\n');
  for (const f of s.recent) {
    ctx.io.stdout.write(
      `  ${formatTime(f.at)}  ${f.outcome.padEnd(7)}  ${f.run_id ? `run ${f.run_id}` : '-'}${f.detail ? `  ${f.detail}` : ''}\n`,
    );
  }
  return 0;
}
