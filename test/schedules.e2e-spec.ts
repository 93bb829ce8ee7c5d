import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { cli } from './support/cli';
import { behave } from './support/fake-autosubmit';
import { embeddedDataDir, removeEmbeddedDataDir } from './support/embedded-data-dir';
import { call, eventually } from './support/http';
import { profilesYaml, RunyardUnderTest, startRunyard } from './support/runyard';

const ADMIN = 'schedules-admin-secret';
const SCHEDULES_QUEUE = 'runyard-schedules';

interface RunRow {
  id: number;
  status: string;
  requested_by: string;
  created_at: string;
  finished_at: string | null;
}
interface Fire {
  at: string;
  outcome: 'started' | 'skipped' | 'waiting' | 'failed';
  run_id: number | null;
  detail: string | null;
}
interface ScheduleAnswer {
  name: string;
  paused: boolean;
  paused_reason: string | null;
  next_fires: string[];
  fires: number;
  skips: number;
  last_run_id: number | null;
  last_skip_at: string | null;
  last_skip_reason: string | null;
  waiting_since: string | null;
  recent: Fire[];
}

/** JSON over HTTP with a bearer token (or none with AUTH_MODE=none). */
const api = (rt: RunyardUnderTest, token: string | null, method: string, path: string, body?: unknown) =>
  call(rt.url, method, path, body, token);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Oldest first: the order the fires happened in. */
const outcomes = (s: ScheduleAnswer) => s.recent.map((f) => f.outcome).reverse();

describe('schedules (Redis, tokens)', () => {
  let rt: RunyardUnderTest;
  let operator: string;
  let viewer: string;
  let redis: IORedis;
  let queue: Queue;

  const get = async (name: string): Promise<ScheduleAnswer> => (await api(rt, operator, 'GET', `/api/v1/schedules/${name}`)).body;
  const create = (body: Record<string, unknown>) => api(rt, operator, 'POST', '/api/v1/schedules', body);
  const runsOf = async (expid: string): Promise<RunRow[]> =>
    (await api(rt, operator, 'GET', `/api/v1/runs?expid=${expid}&kind=run&limit=500`)).body.runs.reverse();
  const scheduler = (name: string) => queue.getJobScheduler(name);

  beforeAll(async () => {
    rt = await startRunyard({
      config: profilesYaml(),
      // These schedules fire every second or two, below the default minimum interval.
      env: { AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: ADMIN, SCHEDULE_MIN_INTERVAL_S: '1' },
    });
    operator = (await api(rt, ADMIN, 'POST', '/api/v1/tokens', { name: 'night-shift', role: 'operator' })).body.token;
    viewer = (await api(rt, ADMIN, 'POST', '/api/v1/tokens', { name: 'watcher', role: 'viewer' })).body.token;
    redis = new IORedis(rt.env.REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(SCHEDULES_QUEUE, { connection: redis, prefix: rt.env.QUEUE_PREFIX });
  });
  afterAll(async () => {
    await queue?.close();
    await redis?.quit();
    await rt?.close();
  });

  it('refuses bad input with the reason (a bad cron with the parser’s), a viewer, a taken name; audits the writes', async () => {
    const base = { expid: 'x001', profile_name: 'LOCAL_NO_MODULE' };
    const bad = async (body: Record<string, unknown>, status: number, message: string | RegExp) => {
      const res = await create({ ...base, ...body });
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body).toEqual({ error: true, error_message: expect.stringMatching(message) });
    };
    await bad(
      { name: 'b1', cron: '61 * * * *' },
      400,
      /^cron "61 \* \* \* \*" is not valid: Constraint error, got value 61 expected range 0-59$/,
    );
    await bad({ name: 'b2', cron: '*/2 * *' }, 400, /has 3 fields: it needs 5 .* or 6 \(seconds first\)/);
    await bad({ name: 'b3', cron: '0 3 * * *', timezone: 'Mars/Olympus' }, 400, /^unknown timezone "Mars\/Olympus"/);
    await bad({ name: 'b4', cron: '0 3 * * *', profile_name: 'NO_SUCH_PROFILE' }, 404, /^profile NO_SUCH_PROFILE does not exist$/);
    await bad({ name: 'b5', cron: '0 3 * * *', expid: 'X;rm' }, 400, /is not an Autosubmit experiment id/);
    await bad({ name: 'a b', cron: '0 3 * * *' }, 400, /^name must be 1-64 letters/);
    await bad({ name: 'b6', cron: '0 3 * * *', overlap: 'later' }, 400, /overlap must be one of the following values: skip, queue/);

    const refused = await api(rt, viewer, 'POST', '/api/v1/schedules', { ...base, name: 'yearly', cron: '0 0 1 1 *' });
    expect(refused.status).toBe(403);
    const created = await create({ ...base, name: 'yearly', cron: '0  0 1 1 *', timezone: 'Europe/Madrid' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'yearly',
      cron: '0 0 1 1 *',
      timezone: 'Europe/Madrid',
      overlap: 'skip',
      paused: false,
      fires: 0,
    });
    // Midnight of 1 January in Madrid is 23:00 UTC the day before.
    expect(created.body.next_fires).toHaveLength(3);
    for (const at of created.body.next_fires) expect(at).toMatch(/^\d{4}-12-31T23:00:00\.000Z$/);
    expect((await create({ ...base, name: 'yearly', cron: '0 0 1 1 *' })).status).toBe(409);
    expect((await api(rt, operator, 'GET', '/api/v1/schedules/no%20such')).status).toBe(400);
    expect((await api(rt, operator, 'GET', '/api/v1/schedules/nosuch')).status).toBe(404);

    const list = await api(rt, viewer, 'GET', '/api/v1/schedules');
    expect(list.body.schedules.map((s: ScheduleAnswer) => s.name)).toEqual(['yearly']);
    expect(await scheduler('yearly')).toMatchObject({ pattern: '0 0 1 1 *', tz: 'Europe/Madrid' });
    expect((await api(rt, operator, 'DELETE', '/api/v1/schedules/yearly')).status).toBe(204);

    // The audit trail is written in batches, a moment after the answers.
    await eventually(
      async () => {
        const audit: { actor: string; method: string; path: string; status: number }[] = (await api(rt, ADMIN, 'GET', '/api/v1/audit'))
          .body;
        const rows = new Set(audit.map((a) => `${a.actor} ${a.method} ${a.path} ${a.status}`));
        return [
          'watcher POST /api/v1/schedules 403',
          'night-shift POST /api/v1/schedules 201',
          'night-shift POST /api/v1/schedules 409',
          'night-shift DELETE /api/v1/schedules/yearly 204',
        ].every((row) => rows.has(row));
      },
      5_000,
      'the schedules’ writes in the audit trail',
    );
  });

  it('a */2-second schedule fires runs; while one is active its fires are skipped, recorded and counted in /metrics', async () => {
    behave(rt, 's001', { seconds: 3 });
    const created = await create({ name: 'every-2s', cron: '*/2 * * * * *', expid: 's001', profile_name: 'LOCAL_NO_MODULE' });
    expect(created.status).toBe(201);
    const [a, b, c] = created.body.next_fires.map(Date.parse);
    expect([b - a, c - b]).toEqual([2000, 2000]);

    await eventually(
      async () => {
        const s = await get('every-2s');
        return s.fires >= 2 && s.skips >= 2;
      },
      30_000,
      'two runs and two skips',
    );
    const paused = await api(rt, operator, 'POST', '/api/v1/schedules/every-2s/pause');
    expect(paused.body).toMatchObject({ paused: true, next_fires: [] });
    await sleep(1_000); // a fire already taken finishes

    const runs = await runsOf('s001');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const run of runs) expect(run.requested_by).toBe('schedule every-2s');
    // Never two at once: each run was accepted only after the one before it had ended.
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i - 1].finished_at).not.toBeNull();
      expect(Date.parse(runs[i].created_at)).toBeGreaterThanOrEqual(Date.parse(runs[i - 1].finished_at!));
    }
    const s = await get('every-2s');
    const skip = s.recent.find((f) => f.outcome === 'skipped')!;
    expect(skip.detail).toMatch(/^experiment s001 is still running \(run \d+\)$/);
    expect(runs.map((r) => r.id)).toContain(skip.run_id);
    expect(s.last_skip_reason).toMatch(/^experiment s001 is still running/);
    expect(s.last_skip_at).not.toBeNull();
    expect(s.recent.filter((f) => f.outcome === 'started').map((f) => f.run_id)).toEqual(
      runs
        .map((r) => r.id)
        .reverse()
        .slice(0, s.recent.filter((f) => f.outcome === 'started').length),
    );

    const sample = (text: string, name: string) => Number(text.match(new RegExp(`^${name}\\{schedule="every-2s"\\} (\\d+)$`, 'm'))?.[1]);
    await eventually(
      async () => {
        const [metrics, now] = [(await api(rt, operator, 'GET', '/metrics')).text, await get('every-2s')];
        return (
          sample(metrics, 'runyard_schedule_skips_total') === now.skips && sample(metrics, 'runyard_schedule_fires_total') === now.fires
        );
      },
      10_000,
      'the schedule’s counts in /metrics',
    );
    expect(s.skips).toBeGreaterThanOrEqual(2);
  });

  it('overlap=queue: a fire waits for the current run and starts the next as soon as it ends; fires meanwhile are skipped', async () => {
    behave(rt, 'q001', { seconds: 6 });
    // Three fires two seconds apart, then none for a minute: the first starts a run, the second waits, the third is skipped.
    const first = Math.floor(Date.now() / 1000) + 3;
    const seconds = [first, first + 2, first + 4].map((t) => t % 60).join(',');
    const created = await create({
      name: 'queued',
      cron: `${seconds} * * * * *`,
      expid: 'q001',
      profile_name: 'LOCAL_NO_MODULE',
      overlap: 'queue',
    });
    expect(created.status).toBe(201);
    expect(created.body.overlap).toBe('queue');

    const waiting = await eventually(
      async () => {
        const s = await get('queued');
        return s.waiting_since !== null && s.skips === 1 && s;
      },
      20_000,
      'a waiting fire and a skipped one',
    );
    expect(outcomes(waiting)).toEqual(['started', 'waiting', 'skipped']);
    expect(waiting.last_skip_reason).toMatch(/^an earlier fire \(.+\) is already waiting for experiment q001's run to end$/);

    const done = await eventually(
      async () => {
        const s = await get('queued');
        return s.fires === 2 && s;
      },
      20_000,
      'the waiting fire’s run',
    );
    expect(done.waiting_since).toBeNull();
    expect(outcomes(done)).toEqual(['started', 'waiting', 'skipped', 'started']);
    expect(done.recent[0].detail).toMatch(/^waited \d+\.\d s for the previous run to end$/);
    const [runA, runB] = await runsOf('q001');
    expect(runB.id).toBe(done.last_run_id);
    expect(runA.finished_at).not.toBeNull();
    expect(Date.parse(runB.created_at)).toBeGreaterThanOrEqual(Date.parse(runA.finished_at!));
    expect(runB.requested_by).toBe('schedule queued');

    expect((await api(rt, operator, 'DELETE', '/api/v1/schedules/queued')).status).toBe(204);
    await api(rt, operator, 'POST', `/api/v1/runs/${runB.id}/stop`, {});
  });

  it('pause stops the fires and removes the job scheduler; resume starts them again; delete removes both', async () => {
    behave(rt, 'p001', { seconds: 0 });
    await create({ name: 'pausable', cron: '* * * * * *', expid: 'p001', profile_name: 'LOCAL_NO_MODULE' });
    await eventually(async () => (await get('pausable')).fires >= 1, 15_000, 'a first fire');
    expect(await scheduler('pausable')).toBeDefined();

    const paused = await api(rt, operator, 'POST', '/api/v1/schedules/pausable/pause');
    expect(paused.body).toMatchObject({ paused: true, next_fires: [] });
    expect(await scheduler('pausable')).toBeUndefined();
    await sleep(1_500); // a fire already taken finishes
    const before = { fires: (await get('pausable')).fires, runs: (await runsOf('p001')).length };
    await sleep(3_000);
    expect({ fires: (await get('pausable')).fires, runs: (await runsOf('p001')).length }).toEqual(before);

    const resumed = await api(rt, operator, 'POST', '/api/v1/schedules/pausable/resume');
    expect(resumed.body).toMatchObject({ paused: false });
    expect(resumed.body.next_fires).toHaveLength(3);
    await eventually(async () => (await get('pausable')).fires > before.fires, 15_000, 'a fire after resume');

    expect((await api(rt, operator, 'DELETE', '/api/v1/schedules/pausable')).status).toBe(204);
    expect((await api(rt, operator, 'GET', '/api/v1/schedules/pausable')).status).toBe(404);
    expect((await api(rt, operator, 'DELETE', '/api/v1/schedules/pausable')).status).toBe(404);
    expect(await scheduler('pausable')).toBeUndefined();
    await sleep(1_500);
    const runs = (await runsOf('p001')).length;
    await sleep(2_500);
    expect((await runsOf('p001')).length).toBe(runs);
  });

  it('keeps firing after a restart, also when Redis lost every job scheduler meanwhile (the rows are the truth)', async () => {
    behave(rt, 'r001', { seconds: 0 });
    await create({ name: 'durable', cron: '* * * * * *', expid: 'r001', profile_name: 'LOCAL_NO_MODULE', overlap: 'queue' });
    await eventually(async () => (await get('durable')).fires >= 1, 15_000, 'a first fire');

    await rt.api.stop();
    const keys = await redis.keys(`${rt.env.QUEUE_PREFIX}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    expect(await scheduler('durable')).toBeUndefined();
    await rt.restartApi();

    // Restored from the rows once the API's queue answers (in the background: start-up never waits for Redis).
    expect(await eventually(() => scheduler('durable'), 10_000, 'the job scheduler restored')).toMatchObject({
      pattern: '* * * * * *',
      tz: 'UTC',
    });
    const runs = (await runsOf('r001')).length;
    await eventually(async () => (await runsOf('r001')).length > runs, 15_000, 'a run after the restart');
    expect((await api(rt, operator, 'DELETE', '/api/v1/schedules/durable')).status).toBe(204);
  });
});

describe("a schedule's owner and its interval", () => {
  let rt: RunyardUnderTest;
  let operator: { id: string; token: string };
  const get = async (name: string): Promise<ScheduleAnswer> => (await api(rt, ADMIN, 'GET', `/api/v1/schedules/${name}`)).body;
  const runCount = async (expid: string): Promise<number> =>
    (await api(rt, ADMIN, 'GET', `/api/v1/runs?expid=${expid}&kind=run&limit=500`)).body.runs.length;
  const everyTwoSeconds = { name: 'drumbeat', cron: '*/2 * * * * *', expid: 'o001', profile_name: 'LOCAL_NO_MODULE' };

  beforeAll(async () => {
    rt = await startRunyard({ config: profilesYaml(), env: { AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: ADMIN } });
    operator = (await api(rt, ADMIN, 'POST', '/api/v1/tokens', { name: 'contractor', role: 'operator' })).body;
  });
  afterAll(() => rt?.close());

  it('refuses a schedule firing more often than SCHEDULE_MIN_INTERVAL_S (60 s by default), naming the setting; stores nothing', async () => {
    const refused = await api(rt, operator.token, 'POST', '/api/v1/schedules', everyTwoSeconds);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: true,
      error_message: 'cron "*/2 * * * * *" fires 2 s apart; schedules may fire at most every 60 s (SCHEDULE_MIN_INTERVAL_S)',
    });
    expect((await api(rt, ADMIN, 'GET', '/api/v1/schedules/drumbeat')).status).toBe(404);
    // Once a minute is the default's edge: allowed.
    const minutely = await api(rt, operator.token, 'POST', '/api/v1/schedules', {
      ...everyTwoSeconds,
      name: 'minutely',
      cron: '* * * * *',
    });
    expect(minutely.status).toBe(201);
  });

  it("pauses with the reason and fires no more once its owner's token is revoked; the API and the CLI show why", async () => {
    // The admin allows short schedules.
    rt.env.SCHEDULE_MIN_INTERVAL_S = '1';
    await rt.restartApi();
    behave(rt, 'o001', { seconds: 0 });
    const created = await api(rt, operator.token, 'POST', '/api/v1/schedules', everyTwoSeconds);
    expect(created.status).toBe(201);
    await eventually(async () => (await get('drumbeat')).fires >= 2, 20_000, 'two fires');

    expect((await api(rt, ADMIN, 'DELETE', `/api/v1/tokens/${operator.id}`)).status).toBe(204);
    const reason = "its owner's token contractor was revoked";
    const paused = await eventually(
      async () => {
        const s = await get('drumbeat');
        return s.paused && s;
      },
      15_000,
      'the schedule paused',
    );
    expect(paused).toMatchObject({ paused: true, paused_reason: reason, next_fires: [] });
    await sleep(2_500); // a fire already taken finishes
    const runs = await runCount('o001');
    await sleep(5_000);
    expect(await runCount('o001')).toBe(runs);
    expect((await get('drumbeat')).paused).toBe(true);

    const listed = await cli(rt, ['schedules'], { RUNYARD_TOKEN: ADMIN });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^drumbeat\\s.*\\spaused: ${reason}\\s`, 'm'));
  });
});

describe('schedules in embedded mode (BullMQ’s PostgreSQL backend)', () => {
  const dataDir = embeddedDataDir();
  let rt: RunyardUnderTest;

  beforeAll(async () => {
    rt = await startRunyard({ config: profilesYaml(), embedded: true, env: { RUNYARD_DATA_DIR: dataDir, SCHEDULE_MIN_INTERVAL_S: '1' } });
  });
  afterAll(async () => {
    await rt?.close();
    removeEmbeddedDataDir(dataDir);
  });

  it('fires runs every second, skips while one is active, and stops when paused', async () => {
    behave(rt, 'e101', { seconds: 2 });
    const created = await api(rt, null, 'POST', '/api/v1/schedules', {
      name: 'embedded',
      cron: '* * * * * *',
      expid: 'e101',
      profile_name: 'LOCAL_NO_MODULE',
    });
    expect(created.status).toBe(201);
    const s = await eventually(
      async () => {
        const now: ScheduleAnswer = (await api(rt, null, 'GET', '/api/v1/schedules/embedded')).body;
        return now.fires >= 2 && now.skips >= 1 && now;
      },
      30_000,
      'two runs and a skip',
    );
    expect(s.recent.find((f) => f.outcome === 'skipped')!.detail).toMatch(/^experiment e101 is still running \(run \d+\)$/);
    expect((await api(rt, null, 'POST', '/api/v1/schedules/embedded/pause')).body.paused).toBe(true);
    await sleep(1_500);
    const before = (await api(rt, null, 'GET', '/api/v1/runs?expid=e101')).body.runs.length;
    await sleep(3_000);
    expect((await api(rt, null, 'GET', '/api/v1/runs?expid=e101')).body.runs.length).toBe(before);
    expect((await api(rt, null, 'GET', '/api/v1/runs?expid=e101')).body.runs[0].requested_by).toBe('schedule embedded');
  });
});
