import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { recordedArgv } from './support/argv-log';
import { behave, processAlive } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { profilesYaml, RunyardUnderTest, startRunyard } from './support/runyard';

/** Seed 001's /v4/runners endpoints, driven as its curl examples do. */
describe('Autosubmit v4 runner endpoints', () => {
  let rt: RunyardUnderTest;
  const post = (path: string, body: unknown) => call(rt.url, 'POST', `/v4/runners${path}`, body);
  const status = async (expid: string) => (await post('/command/get-runner-run-status', { expid })).body;

  beforeAll(async () => {
    rt = await startRunyard({ config: profilesYaml() });
  });
  afterAll(() => rt?.close());

  it('lists the configured public keys, profiles and endpoint toggles', async () => {
    expect((await call(rt.url, 'GET', '/v4/runners/configuration/ssh-public-keys')).body).toEqual([
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKeyOne runyard@test',
    ]);
    const profiles = (await call(rt.url, 'GET', '/v4/runners/configuration/profiles')).body;
    expect(profiles.MY_RUNNER_PROFILE_1).toEqual({
      RUNNER_TYPE: 'SSH',
      MODULE_LOADER_TYPE: 'LMOD',
      MODULES: 'autosubmit',
      SSH: { HOST: 'autosubmit.example.com', PORT: 22, USER: 'autosubmit_user' },
    });
    expect((await call(rt.url, 'GET', '/v4/runners/configuration/endpoints')).body).toEqual({
      SET_JOB_STATUS: { ENABLED: true },
      CREATE_EXPERIMENT: { ENABLED: true },
      RUNNER_RUN: { ENABLED: true },
      UPDATE_EXPERIMENT_DETAILS: { ENABLED: true },
    });
  });

  it('answers NO_RUNNER for an experiment that never ran', async () => {
    expect(await status('z999')).toMatchObject({ expid: 'z999', runner_id: null, status: 'NO_RUNNER' });
  });

  it('runs an experiment to COMPLETED with exit code 0 and keeps its output', async () => {
    behave(rt, 'a001', { seconds: 1 });
    const res = await post('/command/run-experiment', { expid: 'a001', profile_name: 'LOCAL_NO_MODULE' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Experiment a001 started successfully.', run_id: expect.any(Number) });

    const active = await status('a001');
    expect(active).toMatchObject({
      expid: 'a001',
      runner_id: res.body.run_id,
      runner: 'LOCAL',
      module_loader: 'NO_MODULE',
      status: 'ACTIVE',
      detailed_status: 'ACTIVE',
      pid: expect.any(Number),
    });
    expect(active.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);

    const done = await eventually(async () => {
      const s = await status('a001');
      return s.status === 'COMPLETED' && s;
    });
    expect(done).toMatchObject({ exit_code: 0, detailed_status: 'COMPLETED' });
    const logs = await call(rt.url, 'GET', `/api/v1/runs/${res.body.run_id}/logs`);
    expect(logs.text).toContain('Running experiment a001');
    expect(logs.text).toContain('fake autosubmit: no job is really submitted'); // stderr too
    expect(logs.text).toContain('Run successful');
    expect(recordedArgv(rt.argvLog)).toContainEqual(['run', 'a001']);
  });

  it('reports a failing run with its exit code (upstream reported every failure alike)', async () => {
    behave(rt, 'a00f', { exit: 3 });
    const res = await post('/command/run-experiment', { expid: 'a00f', profile_name: 'LOCAL_NO_MODULE' });
    expect(res.status).toBe(200);
    const done = await eventually(async () => {
      const s = await status('a00f');
      return s.status !== 'ACTIVE' && s;
    });
    expect(done).toMatchObject({ status: 'TERMINATED', detailed_status: 'FAILED', exit_code: 3 });
  });

  it('refuses a second run of a running experiment with 409, not 500', async () => {
    behave(rt, 'a002', { seconds: 30 });
    const first = await post('/command/run-experiment', { expid: 'a002', profile_name: 'LOCAL_NO_MODULE' });
    expect(first.status).toBe(200);
    const second = await post('/command/run-experiment', { expid: 'a002', profile_name: 'LOCAL_NO_MODULE' });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: true, error_message: expect.stringContaining('already running') });
    await post('/command/stop-experiment', { expid: 'a002' });
  });

  it('starts exactly one of 20 simultaneous run requests for one experiment', async () => {
    behave(rt, 'a020', { seconds: 30 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post('/command/run-experiment', { expid: 'a020', profile_name: 'LOCAL_NO_MODULE' })),
    );
    const codes = answers.map((a) => a.status).sort();
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(19);
    const runs = (await call(rt.url, 'GET', '/api/v1/runs?expid=a020')).body.runs;
    expect(runs).toHaveLength(1);
    // ACTIVE is recorded once the process is spawned; it writes its argv a moment later.
    const started = () => recordedArgv(rt.argvLog).filter((a) => a[0] === 'run' && a[1] === 'a020');
    await eventually(async () => started().length > 0, 10_000, "a020's autosubmit to start");
    expect(started()).toHaveLength(1);
    await post('/command/stop-experiment', { expid: 'a020' });
  });

  it('stops a running experiment through autosubmit stop -y; it ends TERMINATED and its process is gone', async () => {
    behave(rt, 'a003', { seconds: 60 });
    const run = await post('/command/run-experiment', { expid: 'a003', profile_name: 'LOCAL_NO_MODULE' });
    const { pid } = await status('a003');
    expect(processAlive(pid)).toBe(true);
    const stop = await post('/command/stop-experiment', { expid: 'a003' });
    expect(stop.status).toBe(200);
    expect(stop.body.message).toBe('Experiment a003 stopped successfully.');
    const s = await status('a003');
    expect(s).toMatchObject({ status: 'TERMINATED', detailed_status: 'TERMINATED', runner_id: run.body.run_id });
    expect(processAlive(pid)).toBe(false);
    expect(recordedArgv(rt.argvLog)).toContainEqual(['stop', '-y', 'a003']);
  });

  it('answers the confirmation on stdin for Autosubmit < 4.1.16, and --force when asked', async () => {
    behave(rt, 'a004', { seconds: 60 });
    await post('/command/run-experiment', { expid: 'a004', profile_name: 'OLD_AUTOSUBMIT' });
    const stop = await post('/command/stop-experiment', { expid: 'a004', force: true });
    expect(stop.body.detailed_status).toBe('TERMINATED');
    expect(recordedArgv(rt.argvLog)).toContainEqual(['stop', '--force', 'a004']);
  });

  it('escalates to signals when autosubmit stop does not end the run', async () => {
    // The stand-in stop finds no pid file for a run it did not start: SIGTERM must do it.
    behave(rt, 'a005', { seconds: 60 });
    await post('/command/run-experiment', { expid: 'a005', profile_name: 'LOCAL_NO_MODULE' });
    const { pid } = await status('a005');
    const pidFile = join(rt.env.FAKE_AUTOSUBMIT_STATE, 'a005.pid');
    await eventually(async () => existsSync(pidFile), 5000, 'the stand-in to write its pid file');
    rmSync(pidFile);
    const stop = await post('/command/stop-experiment', { expid: 'a005' });
    expect(stop.body.detailed_status).toBe('TERMINATED');
    expect(processAlive(pid)).toBe(false);
    const logs = await call(rt.url, 'GET', `/api/v1/runs/${stop.body.run_id}/logs`);
    expect(logs.text).toContain('SIGTERM');
  });

  it('answers 404 when stopping an experiment that is not running', async () => {
    const res = await post('/command/stop-experiment', { expid: 'b404' });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe(true);
  });

  it('sets job status with the exact Autosubmit argv', async () => {
    const res = await post('/command/set-job-status', {
      expid: 'a001',
      profile_name: 'LOCAL_NO_MODULE',
      command_params: { job_names_list: ['a001_INI', 'a001_POST'], final_status: 'COMPLETED' },
    });
    expect(res.status).toBe(200);
    expect(res.body.message).toContain('a001');
    expect(recordedArgv(rt.argvLog)).toContainEqual([
      'setstatus',
      'a001',
      '-np',
      '-nt',
      '-s',
      '--list=a001_INI a001_POST',
      '--status_final=COMPLETED',
    ]);
  });

  it('refuses an unknown final status and an injected job name with 400, executing nothing', async () => {
    const before = recordedArgv(rt.argvLog).length;
    const bad = await post('/command/set-job-status', {
      expid: 'a001',
      profile_name: 'LOCAL_NO_MODULE',
      command_params: { job_names_list: ['a001_INI'], final_status: 'DONE' },
    });
    expect(bad.status).toBe(400);
    const injected = await post('/command/set-job-status', {
      expid: 'a001',
      profile_name: 'LOCAL_NO_MODULE',
      command_params: { job_names_list: ['a001_INI"; touch /tmp/runyard-canary-1; echo "'], final_status: 'COMPLETED' },
    });
    expect(injected.status).toBe(400);
    expect(recordedArgv(rt.argvLog)).toHaveLength(before);
    expect(existsSync('/tmp/runyard-canary-1')).toBe(false);
  });

  it('creates an experiment and answers the new expid parsed from Autosubmit output', async () => {
    const res = await post('/command/create-experiment', {
      profile_name: 'LOCAL_NO_MODULE',
      command_params: { description: 'Experiment created using the runner', hpc: 'MN5' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ expid: expect.stringMatching(/^a[0-9a-z]{3}$/), message: expect.any(String) });
    expect(recordedArgv(rt.argvLog)).toContainEqual(['expid', '--description=Experiment created using the runner', '--HPC=MN5']);
  });

  it('passes a description with shell metacharacters as one literal argument', async () => {
    const canary = join(rt.dir, 'canary-description');
    const description = `x"; touch ${canary}; echo "$(touch ${canary})`;
    const res = await post('/command/update-experiment-description', { expid: 'a001', profile_name: 'LOCAL_NO_MODULE', description });
    expect(res.status).toBe(200);
    expect(recordedArgv(rt.argvLog)).toContainEqual(['updatedescrip', 'a001', description]);
    expect(existsSync(canary)).toBe(false);
  });

  it('fills what the profile leaves unset from profile_params and refuses to change what it sets', async () => {
    const filled = await post('/command/create-experiment', {
      profile_name: 'LOCAL_OPEN',
      profile_params: { MODULE_LOADER_TYPE: 'NO_MODULE' },
      command_params: { description: 'filled' },
    });
    expect(filled.status).toBe(200);
    const changed = await post('/command/run-experiment', {
      expid: 'a010',
      profile_name: 'LOCAL_NO_MODULE',
      profile_params: { MODULE_LOADER_TYPE: 'CONDA' },
    });
    expect(changed.status).toBe(400);
    expect(changed.body.error_message).toContain('LOCAL_NO_MODULE sets MODULE_LOADER_TYPE');
    const executable = await post('/command/run-experiment', {
      expid: 'a010',
      profile_name: 'LOCAL_OPEN',
      profile_params: { MODULE_LOADER_TYPE: 'NO_MODULE', AUTOSUBMIT_EXECUTABLE: '/bin/sh' },
    });
    expect(executable.status).toBe(400);
    expect((await status('a010')).status).toBe('NO_RUNNER');
  });

  it('answers bad input with a 4xx error body and never a 500', async () => {
    const cases: [string, unknown, number][] = [
      ['/command/run-experiment', '{not json', 400],
      ['/command/run-experiment', { profile_name: 'LOCAL_NO_MODULE' }, 400],
      ['/command/run-experiment', { expid: 'a;rm -rf', profile_name: 'LOCAL_NO_MODULE' }, 400],
      ['/command/run-experiment', { expid: 'a011', profile_name: 'NO_SUCH_PROFILE' }, 404],
      ['/command/get-runner-run-status', { expid: 123 }, 400],
      ['/command/create-experiment', { profile_name: 'LOCAL_NO_MODULE', command_params: {} }, 400],
    ];
    for (const [path, body, code] of cases) {
      const res = await post(path, body);
      expect({ path, body, status: res.status }).toEqual({ path, body, status: code });
      expect(res.body).toMatchObject({ error: true, error_message: expect.any(String) });
    }
  });
});
