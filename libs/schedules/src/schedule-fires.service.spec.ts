import type { Run, Schedule } from '@runyard/persistence';
import { ConflictError, NotFoundError } from '@runyard/runs';
import type { RunRequest, RunsRepository, RunsService } from '@runyard/runs';
import { ScheduleFires, waitPollMs } from './schedule-fires.service';
import type { ScheduleOwners } from './schedule-owners';
import type { ScheduleQueue } from './schedule-queue';
import type { FireRecord, SchedulesRepository } from './schedules.repository';

/** The schedules table and its history in memory, with the same conditions as the SQL. */
class FakeSchedules {
  rows = new Map<string, Schedule>();
  history: (FireRecord & { name: string })[] = [];

  add(fields: Partial<Schedule>): Schedule {
    const s = {
      name: 'nightly',
      cron: '* * * * * *',
      timezone: 'UTC',
      expid: 'a001',
      profileName: 'LOCAL',
      profileParams: null,
      overlap: 'skip',
      paused: false,
      fires: 0,
      skips: 0,
      waitingSince: null,
      ...fields,
    } as Schedule;
    this.rows.set(s.name, s);
    return s;
  }
  async byName(name: string) {
    const s = this.rows.get(name);
    return s ? { ...s } : null;
  }
  async recordStarted(name: string, runId: number, detail: string | null, waitedSince?: Date) {
    const s = this.rows.get(name)!;
    s.fires++;
    s.lastRunId = runId;
    if (waitedSince && s.waitingSince?.getTime() === waitedSince.getTime()) s.waitingSince = null;
    this.history.push({ name, outcome: 'started', runId, detail });
  }
  async recordSkipped(name: string, reason: string, runId: number | null) {
    this.rows.get(name)!.skips++;
    this.rows.get(name)!.lastSkipReason = reason;
    this.history.push({ name, outcome: 'skipped', runId, detail: reason });
  }
  async recordWaiting(name: string, detail: string, runId: number) {
    const s = this.rows.get(name)!;
    if (s.waitingSince || s.paused) return null;
    s.waitingSince = new Date();
    this.history.push({ name, outcome: 'waiting', runId, detail });
    return s.waitingSince;
  }
  async recordFailed(name: string, detail: string, waitedSince?: Date) {
    const s = this.rows.get(name)!;
    if (waitedSince) s.waitingSince = null;
    this.history.push({ name, outcome: 'failed', detail });
  }
}

/** The experiment's runs: one unfinished at most, as the database enforces. */
class FakeRuns {
  submitted: RunRequest[] = [];
  unfinished: Run | null = null;
  /** Set to make the next submit throw (a race with another run, a profile gone). */
  failNext: Error | null = null;
  private nextId = 100;

  async profile(name: string, params: unknown) {
    if (name === 'GONE') throw new NotFoundError(`profile ${name} does not exist`);
    return { name, params } as never;
  }
  async submit(req: RunRequest) {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
    if (this.unfinished) throw new ConflictError('already running', { run_id: this.unfinished.id });
    this.submitted.push(req);
    this.unfinished = { id: this.nextId++, expid: req.expid } as Run;
    return this.unfinished;
  }
  async unfinishedRunOf() {
    return this.unfinished;
  }
  end() {
    this.unfinished = null;
  }
}

describe('a schedule fire', () => {
  let schedules: FakeSchedules;
  let runs: FakeRuns;
  let waits: { name: string; since: Date }[];
  let fires: ScheduleFires;

  beforeEach(() => {
    schedules = new FakeSchedules();
    runs = new FakeRuns();
    waits = [];
    const queue = { wait: async (name: string, since: Date) => void waits.push({ name, since }) };
    fires = new ScheduleFires(
      schedules as unknown as SchedulesRepository,
      queue as unknown as ScheduleQueue,
      runs as unknown as RunsService,
      runs as unknown as RunsRepository,
      { pausedForOwner: async () => false } as unknown as ScheduleOwners,
    );
  });

  it('submits `autosubmit run EXPID` through the profile, requested by the schedule, and records the run', async () => {
    schedules.add({ profileParams: { MODULES: 'x' } });
    await fires.fire('nightly');
    expect(runs.submitted).toHaveLength(1);
    expect(runs.submitted[0]).toMatchObject({
      kind: 'run',
      expid: 'a001',
      command: { args: ['run', 'a001'] },
      profile: { name: 'LOCAL', params: { MODULES: 'x' } },
      requestedBy: 'schedule nightly',
    });
    expect(schedules.history).toEqual([{ name: 'nightly', outcome: 'started', runId: 100, detail: null }]);
    expect(schedules.rows.get('nightly')).toMatchObject({ fires: 1, lastRunId: 100 });
  });

  it('with overlap=skip, skips while the experiment still runs and says which run, then fires again once it ended', async () => {
    schedules.add({});
    await fires.fire('nightly');
    await fires.fire('nightly');
    await fires.fire('nightly');
    expect(runs.submitted).toHaveLength(1);
    expect(schedules.rows.get('nightly')).toMatchObject({
      fires: 1,
      skips: 2,
      lastSkipReason: 'experiment a001 is still running (run 100)',
    });
    runs.end();
    await fires.fire('nightly');
    expect(runs.submitted).toHaveLength(2);
    expect(schedules.history.map((h) => h.outcome)).toEqual(['started', 'skipped', 'skipped', 'started']);
  });

  it('skips when the database refuses the run though none was seen unfinished (a run submitted meanwhile)', async () => {
    schedules.add({});
    runs.failNext = new ConflictError('Experiment a001 is already running (run 7).', { run_id: 7 });
    await fires.fire('nightly');
    expect(schedules.history).toEqual([
      { name: 'nightly', outcome: 'skipped', runId: 7, detail: 'experiment a001 is still running (run 7)' },
    ]);
  });

  it('with overlap=queue, keeps one fire waiting, skips the fires meanwhile, and starts the run once the current one ended', async () => {
    schedules.add({ overlap: 'queue' });
    await fires.fire('nightly');
    await fires.fire('nightly');
    expect(waits).toHaveLength(1);
    const since = waits[0].since.getTime();
    await fires.fire('nightly');
    expect(schedules.history.map((h) => h.outcome)).toEqual(['started', 'waiting', 'skipped']);
    expect(schedules.history[2].detail).toMatch(/^an earlier fire \(.+\) is already waiting for experiment a001's run to end$/);

    expect(await fires.retryWaiting('nightly', since)).toBeGreaterThan(0);
    expect(runs.submitted).toHaveLength(1);
    runs.end();
    expect(await fires.retryWaiting('nightly', since)).toBeNull();
    expect(runs.submitted).toHaveLength(2);
    expect(schedules.history[3]).toMatchObject({
      outcome: 'started',
      runId: 101,
      detail: expect.stringMatching(/^waited \d+\.\d s for the previous run to end$/),
    });
    expect(schedules.rows.get('nightly')!.waitingSince).toBeNull();
    // The next fire waits again: the run it started is still going.
    await fires.fire('nightly');
    expect(waits).toHaveLength(2);
  });

  it('fires nothing for a paused or deleted schedule, and a waiting fire withdrawn by a pause starts nothing', async () => {
    schedules.add({ paused: true });
    await fires.fire('nightly');
    await fires.fire('gone');
    expect(runs.submitted).toHaveLength(0);
    expect(schedules.history).toEqual([]);

    schedules.add({ name: 'q', overlap: 'queue', waitingSince: null });
    expect(await fires.retryWaiting('q', Date.now())).toBeNull();
    expect(await fires.retryWaiting('nope', Date.now())).toBeNull();
    expect(runs.submitted).toHaveLength(0);
  });

  it('records why a fire could not submit its run (a profile removed from the configuration)', async () => {
    schedules.add({ profileName: 'GONE' });
    await fires.fire('nightly');
    expect(schedules.history).toEqual([{ name: 'nightly', outcome: 'failed', detail: 'profile GONE does not exist' }]);
  });
});

describe('how often a waiting fire looks again', () => {
  it('often at first, less often the longer it waited, within bounds', () => {
    expect(waitPollMs(0)).toBe(250);
    expect(waitPollMs(10_000)).toBe(1_000);
    expect(waitPollMs(3 * 24 * 3600_000)).toBe(5_000);
  });
});
