import { join } from 'node:path';
import { call, eventually } from './support/http';
import { RunyardUnderTest, startRunyard } from './support/runyard';

const ADMIN = 'bootstrap-admin-secret-for-agent-slots';

/**
 * A pull agent's slots as its users see them: a slot that frees while the agent's long poll is held
 * is asked work for at once. The long poll is a minute here, so a slot that waited for it to run out
 * would leave the next run QUEUED for a minute.
 */
describe('a pull agent with one slot', () => {
  let rt: RunyardUnderTest;
  const api = (method: string, path: string, body?: unknown) => call(rt.url, method, path, body, ADMIN);

  beforeAll(async () => {
    rt = await startRunyard({
      config: '',
      role: 'api',
      env: {
        RUNYARD_CONFIG: '',
        AUTH_MODE: 'token',
        RUNYARD_BOOTSTRAP_TOKEN: ADMIN,
        AGENT_HEARTBEAT_MS: '300',
        AGENT_LONG_POLL_MS: '60000',
      },
    });
    await rt.startWorker();
    const created = await api('POST', '/api/v1/agents', { id: 'one', tags: ['one'] });
    expect(created.status).toBe(201);
    rt.startAgent(
      {
        RUNYARD_URL: rt.url,
        RUNYARD_AGENT_ID: 'one',
        RUNYARD_AGENT_SECRET: created.body.secret,
        RUNYARD_AGENT_STATE_DIR: join(rt.dir, 'agent-one'),
        RUNYARD_AGENT_CONCURRENCY: '1',
      },
      'agent-one',
    );
    await eventually(async () => (await api('GET', '/api/v1/agents/one')).body.status === 'online', 10_000, 'the agent online');
  });
  afterAll(() => rt?.close());

  it('runs three queued scripts one after the other without waiting for its long poll to run out', async () => {
    const ids: number[] = [];
    for (const n of [1, 2, 3]) {
      const res = await api('POST', '/api/v1/scripts/run', { language: 'shell', code: `echo run ${n}`, tags: ['one'] });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    const runs = await eventually(
      async () => {
        const all = await Promise.all(ids.map(async (id) => (await api('GET', `/api/v1/runs/${id}`)).body));
        return all.every((r) => r.status === 'COMPLETED') && all;
      },
      30_000,
      'the three runs COMPLETED (each slot freed is asked work for at once, not after the 60 s long poll)',
    );
    expect(runs.map((r: { host: string }) => r.host)).toEqual(['one', 'one', 'one']);
    for (const [i, id] of ids.entries()) expect((await api('GET', `/api/v1/runs/${id}/logs`)).text).toContain(`run ${i + 1}`);
  });
});
