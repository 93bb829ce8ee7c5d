import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordedArgv } from './support/argv-log';
import { behave, processAlive } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { FIXTURES, RunyardProcess, RunyardUnderTest, startRunyard } from './support/runyard';
import { startSshd, TestSshd } from './support/sshd';

const FAKE_AUTOSUBMIT = join(FIXTURES, 'bin', 'autosubmit');

/** The SSH runner against a real OpenSSH server on loopback (a port other than 22), seed 001's SSH profiles. */
describe('SSH runner', () => {
  let sshd: TestSshd;
  let rt: RunyardUnderTest;
  let worker: RunyardProcess;
  let otherHostKey: string;
  const shared = mkdtempSync(join(tmpdir(), 'runyard-ssh-'));
  const argvLog = join(shared, 'argv.log');
  const state = join(shared, 'fake-autosubmit');

  const post = (path: string, body: unknown) => call(rt.url, 'POST', `/v4/runners${path}`, body);
  const status = async (expid: string) => (await post('/command/get-runner-run-status', { expid })).body;
  const finished = (expid: string, timeoutMs = 20_000) =>
    eventually(
      async () => {
        const s = await status(expid);
        return s.status !== 'ACTIVE' && s;
      },
      timeoutMs,
      `${expid} to finish`,
    );
  const runOf = async (id: number) => (await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body;
  const logsOf = async (id: number) => (await call(rt.url, 'GET', `/api/v1/runs/${id}/logs`)).text;
  const acceptedConnections = () => (readFileSync(join(sshd.dir, 'sshd.log'), 'utf8').match(/Accepted publickey/g) ?? []).length;

  beforeAll(async () => {
    mkdirSync(state, { recursive: true });
    sshd = await startSshd({
      env: { MODULEPATH: join(FIXTURES, 'modulefiles'), FAKE_AUTOSUBMIT_LOG: argvLog, FAKE_AUTOSUBMIT_STATE: state },
    });
    otherHostKey = join(shared, 'other_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherHostKey]);
    const wrongKnownHosts = join(shared, 'wrong_known_hosts');
    require('node:fs').writeFileSync(
      wrongKnownHosts,
      `[127.0.0.1]:${sshd.port} ${readFileSync(`${otherHostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
    );
    const ssh = (extra: string) => `      SSH:
        HOST: 127.0.0.1
        PORT: ${sshd.port}
        IDENTITY_FILE: ${sshd.clientKeyPath}
${extra}`;
    const config = `
RUNNER_CONFIGURATION:
  PROFILES:
    SEED_SSH_LMOD:
      RUNNER_TYPE: SSH
      MODULE_LOADER_TYPE: LMOD
      MODULES: autosubmit
${ssh(`        HOST_KEY_FINGERPRINT: ${sshd.hostKeyFingerprint}`)}
    SSH_NO_MODULE:
      RUNNER_TYPE: SSH
      MODULE_LOADER_TYPE: NO_MODULE
      AUTOSUBMIT_EXECUTABLE: ${FAKE_AUTOSUBMIT}
${ssh(`        USER: ${sshd.user}\n        KNOWN_HOSTS: ${sshd.knownHostsPath}`)}
    SSH_CHANGED_HOST_KEY:
      RUNNER_TYPE: SSH
      MODULE_LOADER_TYPE: NO_MODULE
      AUTOSUBMIT_EXECUTABLE: ${FAKE_AUTOSUBMIT}
${ssh(`        USER: ${sshd.user}\n        KNOWN_HOSTS: ${wrongKnownHosts}`)}
    SSH_NO_HOST_KEY_CHECK_CONFIGURED:
      RUNNER_TYPE: SSH
      MODULE_LOADER_TYPE: NO_MODULE
      AUTOSUBMIT_EXECUTABLE: ${FAKE_AUTOSUBMIT}
${ssh(`        USER: ${sshd.user}`)}
RUNNERS:
  SSH:
    ENABLED: True
    IDENTITY_FILE: ${sshd.clientKeyPath}
    KNOWN_HOSTS: ${sshd.knownHostsPath}
    MODULE_LOADERS:
      LMOD:
        ENABLED: True
`;
    rt = await startRunyard({ config, role: 'api', env: { FAKE_AUTOSUBMIT_LOG: argvLog, FAKE_AUTOSUBMIT_STATE: state } });
    worker = await rt.startWorker();
  });
  afterAll(async () => {
    await rt?.close();
    await sshd?.stop();
  });

  it('runs seed 001 SSH profile (LMOD, MODULES: autosubmit) with profile_params filling the user, to COMPLETED with its output', async () => {
    behave(rt, 'x001', { seconds: 1 });
    const res = await post('/command/run-experiment', {
      expid: 'x001',
      profile_name: 'SEED_SSH_LMOD',
      profile_params: { SSH: { USER: sshd.user } },
    });
    expect(res.status).toBe(200);
    const active = await status('x001');
    expect(active).toMatchObject({
      runner: 'SSH',
      module_loader: 'LMOD',
      modules: 'autosubmit',
      status: 'ACTIVE',
      pid: expect.any(Number),
    });
    const done = await finished('x001');
    expect(done).toMatchObject({ status: 'COMPLETED', detailed_status: 'COMPLETED', exit_code: 0 }); // upstream SSH runs never completed
    const run = await runOf(res.body.run_id);
    expect(run).toMatchObject({
      host: '127.0.0.1',
      target: { host: '127.0.0.1', port: sshd.port, user: sshd.user },
      run_dir: expect.stringMatching(/^\//),
    });
    const logs = await logsOf(res.body.run_id);
    expect(logs).toContain('Running experiment x001');
    expect(logs).toContain('Run successful');
    expect(recordedArgv(argvLog)).toContainEqual(['run', 'x001']);
  });

  it('reports a failing remote run with its real exit code', async () => {
    behave(rt, 'x002', { exit: 3 });
    await post('/command/run-experiment', { expid: 'x002', profile_name: 'SSH_NO_MODULE' });
    expect(await finished('x002')).toMatchObject({ status: 'TERMINATED', detailed_status: 'FAILED', exit_code: 3 });
  });

  it('stops a remote run on the stored port: autosubmit stop there, then TERMINATED and the process gone', async () => {
    behave(rt, 'x003', { seconds: 60 });
    await post('/command/run-experiment', { expid: 'x003', profile_name: 'SSH_NO_MODULE' });
    const { pid } = await status('x003');
    expect(processAlive(pid)).toBe(true);
    await eventually(async () => existsSync(join(state, 'x003.pid')), 5000, 'the remote stand-in to start');
    const stop = await post('/command/stop-experiment', { expid: 'x003' });
    expect(stop.body.detailed_status).toBe('TERMINATED');
    expect(processAlive(pid)).toBe(false);
    expect(recordedArgv(argvLog)).toContainEqual(['stop', '-y', 'x003']);
  });

  it('signals the remote process group when autosubmit stop cannot end the run', async () => {
    behave(rt, 'x004', { seconds: 60, stubborn: true });
    await post('/command/run-experiment', { expid: 'x004', profile_name: 'SSH_NO_MODULE' });
    const { pid, runner_id } = await status('x004');
    const stop = await post('/command/stop-experiment', { expid: 'x004' });
    expect(stop.body.detailed_status).toBe('TERMINATED');
    expect(processAlive(pid)).toBe(false);
    expect(await logsOf(runner_id)).toContain('SIGKILL');
  });

  it('refuses a changed host key before any command runs, with a clear error', async () => {
    const before = recordedArgv(argvLog).length;
    const res = await post('/command/run-experiment', { expid: 'x005', profile_name: 'SSH_CHANGED_HOST_KEY' });
    expect(res.status).toBe(502);
    expect(res.body.error_message).toMatch(/host key/i);
    expect(res.body.error_message).toMatch(/changed/i);
    const unconfigured = await post('/command/run-experiment', { expid: 'x006', profile_name: 'SSH_NO_HOST_KEY_CHECK_CONFIGURED' });
    expect(unconfigured.status).toBe(502);
    expect(unconfigured.body.error_message).toMatch(/no known_hosts or fingerprint configured/);
    expect(recordedArgv(argvLog)).toHaveLength(before);
  });

  it('shares one connection among 10 runs on one host', async () => {
    const before = acceptedConnections();
    const expids = Array.from({ length: 10 }, (_, i) => `y00${i}`);
    for (const e of expids) behave(rt, e, { seconds: 2 });
    const answers = await Promise.all(expids.map((expid) => post('/command/run-experiment', { expid, profile_name: 'SSH_NO_MODULE' })));
    expect(answers.map((a) => a.status)).toEqual(expids.map(() => 200));
    for (const e of expids) expect(await finished(e, 30_000)).toMatchObject({ status: 'COMPLETED', exit_code: 0 });
    expect(acceptedConnections() - before).toBe(0); // the worker's connection from the earlier tests serves them all
  });

  it('keeps following a run through a dropped connection and a worker crash, and still ends COMPLETED', async () => {
    behave(rt, 'x007', { seconds: 8 });
    const res = await post('/command/run-experiment', { expid: 'x007', profile_name: 'SSH_NO_MODULE' });
    const { pid } = await status('x007');
    await eventually(async () => (await logsOf(res.body.run_id)).includes('Running experiment x007'), 10_000, 'first output');
    await sshd.dropConnections();
    await new Promise((r) => setTimeout(r, 1500));
    expect(processAlive(pid)).toBe(true); // detached: the experiment does not care about the connection
    await worker.stop('SIGKILL');
    await sshd.dropConnections();
    worker = await rt.startWorker();
    const done = await finished('x007', 30_000);
    expect(done).toMatchObject({ status: 'COMPLETED', exit_code: 0, pid });
    const logs = await logsOf(res.body.run_id);
    expect(logs.match(/Running experiment x007/g)).toHaveLength(1);
    expect(logs).toContain('Run successful');
  });

  it('never executes injection canaries on the remote host', async () => {
    const canary = join(shared, 'canary');
    const description = `x'; touch ${canary}; echo '$(touch ${canary})\`touch ${canary}\``;
    const res = await post('/command/update-experiment-description', { expid: 'x001', profile_name: 'SSH_NO_MODULE', description });
    expect(res.status).toBe(200);
    expect(recordedArgv(argvLog)).toContainEqual(['updatedescrip', 'x001', description]);
    const modules = await call(rt.url, 'POST', '/v4alpha/experiments/x008/run-experiment', {
      runner: 'ssh',
      module_loader: 'lmod',
      modules: `autosubmit'; touch ${canary}; '`,
      runner_extra_params: { ssh_host: '127.0.0.1', ssh_user: sshd.user, ssh_port: sshd.port },
    });
    expect(modules.status).toBe(400);
    expect(existsSync(canary)).toBe(false);
  });

  it('runs through v4alpha runner_extra_params with RUNNERS.SSH connection settings', async () => {
    const res = await call(rt.url, 'POST', '/v4alpha/experiments/x009/run-experiment', {
      runner: 'ssh',
      module_loader: 'lmod',
      modules: 'autosubmit',
      runner_extra_params: { ssh_host: '127.0.0.1', ssh_user: sshd.user, ssh_port: sshd.port },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ expid: 'x009', runner: 'ssh', module_loader: 'lmod', pid: expect.any(Number) });
    expect(await finished('x009')).toMatchObject({ status: 'COMPLETED', exit_code: 0 });
  });
});
