import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { recordedArgv } from './support/argv-log';
import { behave } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { FIXTURES, profilesYaml, RunyardUnderTest, startRunyard } from './support/runyard';

/** Seed 000's /v4alpha endpoints and the four module loaders, each really executed. */
describe('Autosubmit v4alpha endpoints and module loaders', () => {
  let rt: RunyardUnderTest;
  let venv: string;
  const alpha = (method: string, path: string, body?: unknown) => call(rt.url, method, `/v4alpha${path}`, body);
  const statusOf = async (expid: string) => (await alpha('GET', `/experiments/${expid}/get-runner-status`)).body;
  const finished = (expid: string) =>
    eventually(async () => {
      const s = await statusOf(expid);
      return s.status !== 'ACTIVE' && s;
    });
  const logsOf = async (id: number) => (await call(rt.url, 'GET', `/api/v1/runs/${id}/logs`)).text;

  beforeAll(async () => {
    rt = await startRunyard({
      config: profilesYaml(
        '',
        `  SSH:
    ENABLED: False
`,
      ),
    });
    // A real virtual environment holding the stand-in autosubmit.
    venv = join(rt.dir, 'venvs', 'autosubmit');
    mkdirSync(join(rt.dir, 'venvs'), { recursive: true });
    execFileSync('python3', ['-m', 'venv', '--without-pip', venv]);
    copyFileSync(join(FIXTURES, 'bin', 'autosubmit'), join(venv, 'bin', 'autosubmit'));
  });
  afterAll(() => rt?.close());

  it('answers runner-detail with the Autosubmit version through a conda environment (seed 000)', async () => {
    const res = await alpha('GET', '/runner-detail?runner=local&module_loader=conda&modules=my_conda_env');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ runner: 'local', module_loader: 'conda', modules: ['my_conda_env'], version: '4.1.16' });
  });

  it('runs through conda and answers the seed 000 shapes in lower case', async () => {
    const res = await alpha('POST', '/experiments/c001/run-experiment', {
      runner: 'local',
      module_loader: 'conda',
      modules: 'my_conda_env',
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      expid: 'c001',
      runner: 'local',
      module_loader: 'conda',
      modules: 'my_conda_env',
      runner_id: expect.any(Number),
      pid: expect.any(Number),
    });
    const done = await finished('c001');
    expect(done).toMatchObject({
      expid: 'c001',
      runner_id: res.body.runner_id,
      runner: 'local',
      module_loader: 'conda',
      modules: 'my_conda_env',
      status: 'COMPLETED',
      pid: res.body.pid,
      exit_code: 0,
    });
    const run = (await call(rt.url, 'GET', `/api/v1/runs/${res.body.runner_id}`)).body;
    expect(run.argv).toEqual(['conda', 'run', '--no-capture-output', '-n', 'my_conda_env', 'autosubmit', 'run', 'c001']);
    expect(await logsOf(res.body.runner_id)).toContain('conda env: my_conda_env');
  });

  it('runs inside a real venv found under SAFE_ROOT_PATH', async () => {
    const res = await alpha('POST', '/experiments/v001/run-experiment', { runner: 'local', module_loader: 'venv', modules: venv });
    expect(res.status).toBe(200);
    expect(await finished('v001')).toMatchObject({ status: 'COMPLETED', exit_code: 0 });
    const run = (await call(rt.url, 'GET', `/api/v1/runs/${res.body.runner_id}`)).body;
    expect(run.argv).toEqual([join(venv, 'bin', 'autosubmit'), 'run', 'v001']);
  });

  it('refuses venv paths outside SAFE_ROOT_PATH, with .., or through a symlink that escapes', async () => {
    const escape = join(rt.dir, 'escape');
    symlinkSync('/usr', escape);
    for (const modules of ['/usr', `${rt.dir}/venvs/../../../usr`, escape, join(rt.dir, 'no-such-venv')]) {
      const res = await alpha('POST', '/experiments/v002/run-experiment', { runner: 'local', module_loader: 'venv', modules });
      expect({ modules, status: res.status }).toEqual({ modules, status: 400 });
      expect(res.body.error).toBe(true);
    }
    expect((await statusOf('v002')).status).toBe('NO_RUNNER');
  });

  it('loads modules with the real Lmod and runs', async () => {
    const res = await alpha('POST', '/experiments/l001/run-experiment', { runner: 'local', module_loader: 'lmod', modules: 'autosubmit' });
    expect(res.status).toBe(200);
    expect(await finished('l001')).toMatchObject({ status: 'COMPLETED', exit_code: 0, modules: 'autosubmit' });
    expect(await logsOf(res.body.runner_id)).toContain('Running experiment l001');
  });

  it('fails the run when Lmod cannot load a module, without running autosubmit', async () => {
    const before = recordedArgv(rt.argvLog).length;
    const res = await alpha('POST', '/experiments/l002/run-experiment', {
      runner: 'local',
      module_loader: 'lmod',
      modules: 'autosubmit no-such-module',
    });
    expect(res.status).toBe(200);
    const done = await finished('l002');
    expect(done).toMatchObject({ status: 'TERMINATED', detailed_status: 'FAILED' });
    expect(done.exit_code).not.toBe(0);
    expect(await logsOf(res.body.runner_id)).toMatch(/no-such-module/);
    expect(recordedArgv(rt.argvLog)).toHaveLength(before);
  });

  it('never executes injection canaries in module names, conda env names or venv paths', async () => {
    const canary = join(rt.dir, 'canary-modules');
    for (const [module_loader, modules] of [
      ['lmod', `autosubmit; touch ${canary}`],
      ['lmod', `$(touch ${canary})`],
      ['conda', `env;touch ${canary}`],
      ['venv', `${venv}; touch ${canary}`],
    ]) {
      const res = await alpha('POST', '/experiments/i001/run-experiment', { runner: 'local', module_loader, modules });
      expect({ modules, status: res.status }).toEqual({ modules, status: 400 });
    }
    expect(existsSync(canary)).toBe(false);
  });

  it('stops a run and reports it TERMINATED', async () => {
    behave(rt, 's001', { seconds: 60 });
    const run = await alpha('POST', '/experiments/s001/run-experiment', { runner: 'local', module_loader: 'no_module' });
    expect(run.status).toBe(200);
    const stop = await alpha('POST', '/experiments/s001/stop-experiment');
    expect(stop.status).toBe(200);
    expect((await statusOf('s001')).status).toBe('TERMINATED');
  });

  it('sets job status, creates the job list and creates an experiment with the exact argv', async () => {
    const sel = { runner: 'local', module_loader: 'no_module' };
    const set = await alpha('POST', '/experiments/a001/set-job-status', {
      ...sel,
      command_params: { filter_chunks: 'fc0 [1 2]', final_status: 'WAITING', check_wrapper: true },
    });
    expect(set.status).toBe(200);
    const create = await alpha('POST', '/experiments/a001/create-job-list', { ...sel, check_wrapper: true, force: true });
    expect(create.status).toBe(200);
    const expid = await alpha('POST', '/runner-create-experiment', {
      ...sel,
      command_params: { description: 'alpha', minimal: true, git_repo: 'https://git.example.com/x.git', git_branch: 'main' },
    });
    expect(expid.status).toBe(200);
    expect(expid.body.expid).toMatch(/^a[0-9a-z]{3}$/);
    const argv = recordedArgv(rt.argvLog);
    expect(argv).toContainEqual([
      'setstatus',
      'a001',
      '-np',
      '-nt',
      '-s',
      '--status_final=WAITING',
      '--filter_chunks=fc0 [1 2]',
      '--check_wrapper',
    ]);
    expect(argv).toContainEqual(['create', '-np', '--check_wrapper', '--force', 'a001']);
    expect(argv).toContainEqual([
      'expid',
      '--description=alpha',
      '--git_repo=https://git.example.com/x.git',
      '--git_branch=main',
      '--minimal_configuration',
    ]);
  });

  it('answers 403 for a disabled runner and 400 for an unknown loader', async () => {
    const ssh = await alpha('POST', '/experiments/a001/run-experiment', {
      runner: 'ssh',
      module_loader: 'no_module',
      runner_extra_params: { ssh_host: 'hpc.example.com', ssh_user: 'me' },
    });
    expect(ssh.status).toBe(403);
    const unknown = await alpha('POST', '/experiments/a001/run-experiment', { runner: 'local', module_loader: 'spack' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: true });
  });
});
