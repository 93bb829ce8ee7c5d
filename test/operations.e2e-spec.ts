import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { recordedArgv } from './support/argv-log';
import { behave, processAlive } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { profilesYaml, ROOT, RunyardUnderTest, startRunyard } from './support/runyard';

/** Endpoint toggles, request timeouts, stop escalation, restarts and the migration CLI. */
describe('operating Runyard', () => {
  let rt: RunyardUnderTest;
  const post = (path: string, body: unknown) => call(rt.url, 'POST', `/v4/runners${path}`, body);
  const status = async (expid: string) => (await post('/command/get-runner-run-status', { expid })).body;

  beforeAll(async () => {
    const endpoints = `  ENDPOINTS:
    CREATE_EXPERIMENT:
      ENABLED: False
    UPDATE_EXPERIMENT_DETAILS:
      ENABLED: False
`;
    rt = await startRunyard({
      config: profilesYaml('', '', endpoints),
      env: { COMMAND_TIMEOUT_MS: '1000', FAKE_AUTOSUBMIT_SETSTATUS_SECONDS: '3', STOP_GRACE_MS: '1000' },
    });
  });
  afterAll(() => rt?.close());

  it('answers 403 for endpoints the configuration disables, executing nothing', async () => {
    expect((await call(rt.url, 'GET', '/v4/runners/configuration/endpoints')).body).toMatchObject({
      CREATE_EXPERIMENT: { ENABLED: false },
      UPDATE_EXPERIMENT_DETAILS: { ENABLED: false },
      RUNNER_RUN: { ENABLED: true },
    });
    const create = await post('/command/create-experiment', { profile_name: 'LOCAL_NO_MODULE', command_params: { description: 'x' } });
    expect(create.status).toBe(403);
    expect(create.body).toEqual({ error: true, error_message: expect.stringContaining('CREATE_EXPERIMENT') });
    const update = await post('/command/update-experiment-description', {
      expid: 'a001',
      profile_name: 'LOCAL_NO_MODULE',
      description: 'x',
    });
    expect(update.status).toBe(403);
    expect(recordedArgv(rt.argvLog).filter((a) => a[0] === 'expid' || a[0] === 'updatedescrip')).toEqual([]);
  });

  it('answers 504 with the run id when a short command outlives the request, and the command still completes', async () => {
    const res = await post('/command/set-job-status', {
      expid: 'a001',
      profile_name: 'LOCAL_NO_MODULE',
      command_params: { job_names_list: ['a001_SIM'], final_status: 'FAILED' },
    });
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ error: true, run_id: expect.any(Number) });
    const run = await eventually(async () => {
      const r = (await call(rt.url, 'GET', `/api/v1/runs/${res.body.run_id}`)).body;
      return r.status === 'COMPLETED' && r;
    });
    expect(run.kind).toBe('setstatus');
  });

  it('kills a run that ignores autosubmit stop and SIGTERM, within a bounded time (upstream waited forever)', async () => {
    behave(rt, 'k001', { seconds: 120, stubborn: true });
    await post('/command/run-experiment', { expid: 'k001', profile_name: 'LOCAL_NO_MODULE' });
    const { pid, runner_id } = await status('k001');
    const started = Date.now();
    const stop = await post('/command/stop-experiment', { expid: 'k001' });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(stop.body.detailed_status).toBe('TERMINATED');
    expect(processAlive(pid)).toBe(false);
    expect((await call(rt.url, 'GET', `/api/v1/runs/${runner_id}/logs`)).text).toContain('SIGKILL');
  });

  it('keeps reporting a run correctly after Runyard itself restarts (upstream stayed ACTIVE forever)', async () => {
    behave(rt, 'k002', { seconds: 4 });
    await post('/command/run-experiment', { expid: 'k002', profile_name: 'LOCAL_NO_MODULE' });
    const before = await status('k002');
    expect(before.status).toBe('ACTIVE');
    await rt.restartApi('SIGTERM');
    expect((await status('k002')).pid).toBe(before.pid);
    const done = await eventually(async () => {
      const s = await status('k002');
      return s.status !== 'ACTIVE' && s;
    }, 20_000);
    expect(done).toMatchObject({ status: 'COMPLETED', exit_code: 0, runner_id: before.runner_id });
  });

  it('applies migrations with the TypeORM CLI (npm run migration:run): nothing pending after start-up', () => {
    const out = execFileSync(join(ROOT, 'node_modules', '.bin', 'typeorm'), ['migration:run', '-d', join(ROOT, 'dist', 'ormconfig.js')], {
      env: { ...process.env, DATABASE_URL: rt.databaseUrl },
      encoding: 'utf8',
    });
    expect(out).toContain('No migrations are pending');
  });
});

describe('metrics', () => {
  let rt: RunyardUnderTest;
  beforeAll(async () => {
    rt = await startRunyard({ config: profilesYaml() });
  });
  afterAll(() => rt?.close());

  /** The value of one sample of the Prometheus text, or 0 if absent. */
  const sample = (text: string, name: string, labels: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`) || (labels === '' && l.startsWith(`${name} `)));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('exposes Prometheus text that parses and moves when a run completes', async () => {
    const before = (await call(rt.url, 'GET', '/metrics')).text;
    for (const line of before.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+-]+$|^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? (NaN|[+-]Inf)$/);
    }
    const completed = sample(before, 'runyard_runs', 'status="COMPLETED",kind="run"');
    const durations = sample(before, 'runyard_run_duration_seconds_count', '');
    const res = await call(rt.url, 'POST', '/v4/runners/command/run-experiment', { expid: 'm001', profile_name: 'LOCAL_NO_MODULE' });
    expect(res.status).toBe(200);
    const after = await eventually(async () => {
      const text = (await call(rt.url, 'GET', '/metrics')).text as string;
      return sample(text, 'runyard_runs', 'status="COMPLETED",kind="run"') === completed + 1 && text;
    });
    expect(sample(after, 'runyard_run_duration_seconds_count', '')).toBe(durations + 1);
    expect(sample(after, 'runyard_queue_jobs', 'queue="runyard-runs",state="waiting"')).toBe(0);
    expect(after).toContain('# TYPE runyard_run_wait_seconds histogram');
  });
});
