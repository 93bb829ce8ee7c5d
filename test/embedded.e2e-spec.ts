import { behave } from './support/fake-autosubmit';
import { embeddedDataDir, removeEmbeddedDataDir } from './support/embedded-data-dir';
import { call, eventually } from './support/http';
import { profilesYaml, RunyardUnderTest, startRunyard } from './support/runyard';

/** `npm start` on a machine with nothing else: embedded PostgreSQL and BullMQ's PostgreSQL backend. */
describe('embedded mode (no DATABASE_URL, no REDIS_URL)', () => {
  const dataDir = embeddedDataDir();
  let rt: RunyardUnderTest;

  beforeAll(async () => {
    rt = await startRunyard({ config: profilesYaml(), embedded: true, env: { RUNYARD_DATA_DIR: dataDir } });
  });
  afterAll(async () => {
    await rt?.close();
    removeEmbeddedDataDir(dataDir);
  });

  it('is ready, runs an experiment to COMPLETED, serves its logs and stops another', async () => {
    expect((await call(rt.url, 'GET', '/health/ready')).body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, queue: { status: 'up' } },
    });
    const res = await call(rt.url, 'POST', '/v4/runners/command/run-experiment', { expid: 'e001', profile_name: 'LOCAL_NO_MODULE' });
    expect(res.status).toBe(200);
    const done = await eventually(async () => {
      const s = (await call(rt.url, 'POST', '/v4/runners/command/get-runner-run-status', { expid: 'e001' })).body;
      return s.status === 'COMPLETED' && s;
    });
    expect(done.exit_code).toBe(0);
    expect((await call(rt.url, 'GET', `/api/v1/runs/${res.body.run_id}/logs`)).text).toContain('Run successful');

    behave(rt, 'e002', { seconds: 60 });
    await call(rt.url, 'POST', '/v4/runners/command/run-experiment', { expid: 'e002', profile_name: 'LOCAL_NO_MODULE' });
    const second = await call(rt.url, 'POST', '/v4/runners/command/run-experiment', { expid: 'e002', profile_name: 'LOCAL_NO_MODULE' });
    expect(second.status).toBe(409);
    const stop = await call(rt.url, 'POST', '/v4/runners/command/stop-experiment', { expid: 'e002' });
    expect(stop.body.detailed_status).toBe('TERMINATED');
  });

  it('keeps its runs across a restart of the process', async () => {
    await rt.restartApi('SIGTERM');
    const runs = (await call(rt.url, 'GET', '/api/v1/runs?kind=run')).body.runs;
    expect(runs.map((r: { expid: string; status: string }) => [r.expid, r.status])).toEqual([
      ['e002', 'TERMINATED'],
      ['e001', 'COMPLETED'],
    ]);
  });
});
