import { join } from 'node:path';
import { call, eventually } from './support/http';
import { RunyardUnderTest, startRunyard } from './support/runyard';

const ADMIN = 'bootstrap-admin-secret-for-agent-slots';
/** The API holds an agent's request for work this long; runs that waited for it to run out would take longer than a test may. */
const LONG_POLL_MS = 120_000;

/**
 * A pull agent's slots as its users see them: a slot that frees while the agent's long poll is held
 * is asked work for at once, not when that poll runs out.
 */
describe('a pull agent with one slot', () => {
  let rt: RunyardUnderTest;
  let secret: string;
  const api = (method: string, path: string, body?: unknown) => call(rt.url, method, path, body, ADMIN);
  const script = async (code: string): Promise<number> => {
    const res = await api('POST', '/api/v1/scripts/run', { language: 'shell', code, tags: ['one'] });
    expect(res.status).toBe(202);
    return res.body.id;
  };
  const completed = (ids: number[], what: string) =>
    eventually(
      async () => {
        const all = await Promise.all(ids.map(async (id) => (await api('GET', `/api/v1/runs/${id}`)).body));
        return all.every((r) => r.status === 'COMPLETED') && all;
      },
      LONG_POLL_MS / 3,
      what,
    );

  beforeAll(async () => {
    rt = await startRunyard({
      config: '',
      role: 'api',
      env: {
        RUNYARD_CONFIG: '',
        AUTH_MODE: 'token',
        RUNYARD_BOOTSTRAP_TOKEN: ADMIN,
        AGENT_HEARTBEAT_MS: '300',
        AGENT_LONG_POLL_MS: String(LONG_POLL_MS),
      },
    });
    await rt.startWorker();
    const created = await api('POST', '/api/v1/agents', { id: 'one', tags: ['one'] });
    expect(created.status).toBe(201);
    secret = created.body.secret;
    rt.startAgent(
      {
        RUNYARD_URL: rt.url,
        RUNYARD_AGENT_ID: 'one',
        RUNYARD_AGENT_SECRET: secret,
        RUNYARD_AGENT_STATE_DIR: join(rt.dir, 'agent-one'),
        RUNYARD_AGENT_CONCURRENCY: '1',
      },
      'agent-one',
    );
    await eventually(async () => (await api('GET', '/api/v1/agents/one')).body.status === 'online', 10_000, 'the agent online');
  });
  afterAll(() => rt?.close());

  it('runs three queued scripts one after the other, each as soon as the one before ends', async () => {
    const ids: number[] = [];
    for (const n of [1, 2, 3]) ids.push(await script(`echo run ${n}`));
    // Full while a run goes, the agent's poll asks for nothing: the next run would wait for it to run out (2 min).
    const runs = await completed(ids, 'the three runs COMPLETED before a long poll of the full agent ran out');
    expect(runs.map((r: { host: string }) => r.host)).toEqual(['one', 'one', 'one']);
    for (const [i, id] of ids.entries()) expect((await api('GET', `/api/v1/runs/${id}/logs`)).text).toContain(`run ${i + 1}`);
  });

  it(
    'still gets work after the API saw a higher poll number than its clock gives (a clock set back)',
    async () => {
      // A poll numbered from a clock in 2096, sent with the agent's secret; asking for no run, it takes none.
      const ahead = 4e15;
      const poll = await call(
        rt.url,
        'POST',
        '/api/v1/agents/one/poll',
        { running: [], starting: [], commands: [], free_slots: 0, poll_seq: ahead },
        secret,
      );
      // It is answered (empty) once the agent's own polls count on from it, not when the long poll runs out.
      expect(poll).toMatchObject({ status: 200, body: { jobs: [], signals: [], commands: [] } });
      const id = await script('echo after the clock');
      await completed([id], 'the run COMPLETED');
      expect((await api('GET', `/api/v1/runs/${id}/logs`)).text).toContain('after the clock');
    },
    LONG_POLL_MS / 2,
  );
});
