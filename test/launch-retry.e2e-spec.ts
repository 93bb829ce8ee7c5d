import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { behave } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { profilesYaml, RunyardUnderTest, startRunyard } from './support/runyard';

const ADMIN = 'launch-retry-admin-secret';
const RETRY = 'RETRY: {MAX: 5, BACKOFF: fixed, DELAY: 2, ON: [launch_failed, lost, failed]}';

/**
 * A launch that executed nothing (the run directory cannot be made) counts as `launch_failed` on
 * every runner: with a RETRY policy that covers it, the run waits QUEUED saying why and runs once
 * the cause is gone.
 */
describe('launch failures are retried', () => {
  let rt: RunyardUnderTest;
  const api = (method: string, path: string, body?: unknown) => call(rt.url, method, path, body, ADMIN);

  /** Puts a plain file where `dir` should be a directory, for as long as `during` runs. */
  const blocked = async <T>(dir: string, during: () => Promise<T>): Promise<T> => {
    mkdirSync(dir, { recursive: true });
    renameSync(dir, `${dir}.away`);
    writeFileSync(dir, 'not a directory');
    try {
      return await during();
    } finally {
      rmSync(dir);
      renameSync(`${dir}.away`, dir);
    }
  };
  const retriedThenCompleted = async (id: number) => {
    const waiting = await eventually(async () => {
      const r = (await api('GET', `/api/v1/runs/${id}`)).body;
      return r.attempts > 1 && r;
    }, 20_000);
    expect(waiting).toMatchObject({ status: 'QUEUED', last_error: expect.stringMatching(/^launch failed: .*(ENOTDIR|EEXIST)/) });
    expect(waiting.detail).toMatch(/attempt \d+ of 6 in 2 s$/);
    return waiting;
  };
  const completed = (id: number) =>
    eventually(async () => {
      const r = (await api('GET', `/api/v1/runs/${id}`)).body;
      return ['COMPLETED', 'FAILED', 'TERMINATED', 'LOST'].includes(r.status) && r;
    }, 20_000);

  /** Runs `expid` through `profile` while its runs directory is blocked: retried meanwhile, then completed once unblocked. */
  const completesOnceUnblocked = async (runs: string, expid: string, profile: string) => {
    behave(rt, expid, { seconds: 0 });
    const id = await blocked(runs, async () => {
      const res = await api('POST', '/api/v1/runs', { expid, profile_name: profile });
      expect(res.status).toBe(202);
      await retriedThenCompleted(res.body.id);
      return res.body.id as number;
    });
    const done = await completed(id);
    expect(done).toMatchObject({ status: 'COMPLETED', exit_code: 0 });
    expect(done.attempts).toBeGreaterThanOrEqual(2);
  };

  beforeAll(async () => {
    rt = await startRunyard({
      config: profilesYaml(`
    LOCAL_RETRIED:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      ${RETRY}
    AGENT_RETRIED:
      RUNNER_TYPE: AGENT
      MODULE_LOADER_TYPE: NO_MODULE
      AGENT: {ID: box1}
      ${RETRY}
`),
      env: { AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: ADMIN, AGENT_HEARTBEAT_MS: '300', AGENT_LONG_POLL_MS: '1500' },
    });
  });
  afterAll(() => rt?.close());

  it('LOCAL: a run directory that cannot be made is tried again, and the run completes once it can', async () => {
    await completesOnceUnblocked(join(rt.env.RUNYARD_DATA_DIR, 'runs'), 'l001', 'LOCAL_RETRIED');
  });

  it('AGENT: a run the agent could not start is tried again, and completes once the agent can start it', async () => {
    const registered = await api('POST', '/api/v1/agents', { id: 'box1', tags: [] });
    expect(registered.status).toBe(201);
    const stateDir = join(rt.dir, 'agent-box1');
    rt.startAgent(
      { RUNYARD_URL: rt.url, RUNYARD_AGENT_ID: 'box1', RUNYARD_AGENT_SECRET: registered.body.secret, RUNYARD_AGENT_STATE_DIR: stateDir },
      'agent-box1',
    );
    await completesOnceUnblocked(join(stateDir, 'runs'), 'a001', 'AGENT_RETRIED');
  });
});
