import { call, eventually } from './support/http';
import { RunyardUnderTest, startRunyard } from './support/runyard';

const CONFIG = `
RUNNER_CONFIGURATION:
  PROFILES:
    LOCAL:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SCRIPT_RUNTIMES: [node, python]
RUNNERS:
  LOCAL:
    ENABLED: True
    MODULE_LOADERS:
      NO_MODULE: {ENABLED: True}
`;

/** Automn's script: the sum of its input, returned with AutomnReturn. */
const SUM = `const { a, b } = JSON.parse(process.env.INPUT_JSON); AutomnReturn({ sum: a + b });`;

/** A script run whose request waits for its end (`wait`), as Automn's `/s/<endpoint>` answers with the return value. */
describe('a script run waited for in its request', () => {
  let rt: RunyardUnderTest;

  beforeAll(async () => {
    rt = await startRunyard({ config: CONFIG });
  });
  afterAll(() => rt?.close());

  it('answers 200 with the ended run and its return value, as the run reads afterwards', async () => {
    const answer = await call(rt.url, 'POST', '/api/v1/scripts/run', { language: 'node', code: SUM, input: { a: 2, b: 40 }, wait: 60 });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'COMPLETED', exit_code: 0, result: { return_data: { sum: 42 } } });
    const stored = await call(rt.url, 'GET', `/api/v1/runs/${answer.body.id}`);
    expect(stored.body).toEqual(answer.body);

    // A script that fails has ended too: 200, its status says how.
    const failed = await call(rt.url, 'POST', '/api/v1/scripts/run', { language: 'python', code: 'raise SystemExit(3)', wait: 60 });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ status: 'FAILED', exit_code: 3 });
  });

  it('answers 202 with the run as it stands when it has not ended within the wait, and the run goes on', async () => {
    const slow = `setTimeout(() => AutomnReturn({ done: true }), 3000);`;
    const answer = await call(rt.url, 'POST', '/api/v1/scripts/run', { language: 'node', code: slow, wait: 1 });
    expect(answer.status).toBe(202);
    expect(['QUEUED', 'STARTING', 'ACTIVE']).toContain(answer.body.status);
    const ended = await eventually(async () => {
      const r = await call(rt.url, 'GET', `/api/v1/runs/${answer.body.id}`);
      return r.body.status === 'COMPLETED' ? r.body : null;
    }, 30_000);
    expect(ended.result.return_data).toEqual({ done: true });
  });

  it('keeps the run when the client leaves while waiting', async () => {
    const leaving = new AbortController();
    const code = `setTimeout(() => AutomnReturn({ after: 'the client left' }), 1500);`;
    const sent = fetch(`${rt.url}/api/v1/scripts/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ language: 'node', code, wait: 60 }),
      signal: leaving.signal,
    }).catch((e: Error) => e);
    const run = await eventually(async () => {
      const list = await call(rt.url, 'GET', '/api/v1/runs?limit=1');
      const newest = list.body.runs?.[0];
      return newest?.status === 'ACTIVE' && newest.kind === 'script' ? newest : null;
    }, 30_000);
    leaving.abort();
    expect(await sent).toMatchObject({ name: 'AbortError' });
    const ended = await eventually(async () => {
      const r = await call(rt.url, 'GET', `/api/v1/runs/${run.id}`);
      return r.body.status === 'COMPLETED' ? r.body : null;
    }, 30_000);
    expect(ended.result.return_data).toEqual({ after: 'the client left' });
  });

  it('answers a waiting request (202) when the API stops, which then exits promptly; the run still ends', async () => {
    const code = `setTimeout(() => AutomnReturn({ across: 'a restart' }), 2000);`;
    const waiting = call(rt.url, 'POST', '/api/v1/scripts/run', { language: 'node', code, wait: 120 });
    const run = await eventually(async () => {
      const newest = (await call(rt.url, 'GET', '/api/v1/runs?limit=1')).body.runs?.[0];
      return newest?.status === 'ACTIVE' && newest.kind === 'script' ? newest : null;
    }, 30_000);
    const stoppedAt = Date.now();
    const restarted = rt.restartApi();
    const answer = await waiting;
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ id: run.id, status: 'ACTIVE' });
    await restarted;
    expect(Date.now() - stoppedAt).toBeLessThan(20_000); // not the 120 s the request asked to wait
    const ended = await eventually(async () => {
      const r = await call(rt.url, 'GET', `/api/v1/runs/${run.id}`);
      return r.body.status === 'COMPLETED' ? r.body : null;
    }, 30_000);
    expect(ended.result.return_data).toEqual({ across: 'a restart' });
  });

  it.each([0, 301, 1.5, 'soon'])('refuses wait %p with 400 and the error body, running nothing', async (wait) => {
    const before = await call(rt.url, 'GET', '/api/v1/runs?limit=1');
    const answer = await call(rt.url, 'POST', '/api/v1/scripts/run', { language: 'node', code: SUM, input: { a: 1, b: 1 }, wait });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: true, error_message: expect.stringContaining('wait') });
    const after = await call(rt.url, 'GET', '/api/v1/runs?limit=1');
    expect(after.body.runs?.[0]?.id).toBe(before.body.runs?.[0]?.id);
  });
});
