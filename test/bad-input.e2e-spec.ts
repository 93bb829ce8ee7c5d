import { Client } from 'pg';
import { call } from './support/http';
import { profilesYaml, RunyardUnderTest, startRunyard } from './support/runyard';

/**
 * The six causes of 500s a hostile client found (issue 10), one test each, and what the one
 * request pipeline guarantees: every one answers 4xx with the error body, and nothing is stored.
 */
describe('bad input never gets a 5xx', () => {
  let rt: RunyardUnderTest;
  const post = (path: string, body: unknown) => call(rt.url, 'POST', path, body);
  const build = { toolchain: 'gcc-12', tree: 'https://git.kernel.org/linux.git', branch: 'master', kconfig: 'defconfig' };
  const test = { build_id: '17', kernel_image_url: 'https://storage.example.org/Image.gz', tests: ['ltp-smoke'], collection: 'ltp' };
  const refused = (res: { status: number; body: unknown }, status: number, message: string | RegExp) => {
    expect({ status: res.status, body: res.body }).toEqual({
      status,
      body: { error: true, error_message: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message) },
    });
  };
  const counts = async () => {
    const db = new Client({ connectionString: rt.databaseUrl });
    await db.connect();
    const { rows } = await db.query(
      'SELECT (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM kernel_builds) AS builds, (SELECT count(*) FROM kernel_tests) AS tests',
    );
    await db.end();
    return rows[0];
  };

  beforeAll(async () => {
    rt = await startRunyard({ config: profilesYaml() });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it('1. a body nested thousands of levels deep: 400 naming the limit, on every body route', async () => {
    const deep = `{"expid":"a001","profile_name":"LOCAL_NO_MODULE","profile_params":${'['.repeat(2500)}${']'.repeat(2500)}}`;
    for (const path of ['/api/v1/runs', '/v4/runners/command/run-experiment', '/api/v1/builds/run', '/api/v1/tokens']) {
      refused(await post(path, deep), 400, 'nests deeper than 32 levels');
    }
    refused(await post('/api/v1/runs', `{"a":"${'x'.repeat(1_100_000)}"}`), 413, 'larger than 1 MiB');
  });

  it('2. a NUL character in a string that reaches Postgres: 400, in the body, the query and the path', async () => {
    refused(await post('/api/v1/runs', { expid: 'a001', profile_name: 'LOCAL\u0000' }), 400, 'body.profile_name holds a NUL character');
    refused(await post('/v4/runners/command/run-experiment', { expid: 'a001', profile_name: 'a\u0000b' }), 400, 'NUL');
    refused(await post('/api/v1/tests/run', { ...test, collection: 'l\u0000tp' }), 400, 'body.collection holds a NUL');
    refused(await call(rt.url, 'GET', '/api/v1/runs?expid=a%00b'), 400, 'query.expid holds a NUL character');
    refused(await call(rt.url, 'DELETE', '/api/v1/tokens/%00'), 400, 'the path segment "%00" holds a NUL');
  });

  it('3. ids of 2^31 and more: 400 naming the range', async () => {
    for (const path of [
      '/api/v1/runs/2147483648',
      '/api/v1/runs/99999999999/logs',
      '/api/v1/builds/2147483648',
      '/api/v1/tests/99999999999',
    ]) {
      refused(await call(rt.url, 'GET', path), 400, 'must be a whole number from 1 to 2147483647');
    }
    refused(await post('/api/v1/runs/99999999999/stop', {}), 400, 'from 1 to 2147483647');
    refused(await call(rt.url, 'GET', '/api/v1/runs?before=99999999999'), 400, 'before must be at most 2147483647');
    expect((await call(rt.url, 'GET', '/api/v1/runs/2147483647')).status).toBe(404);
  });

  it('4. kernel fields longer than their columns: 400 naming the field and the length', async () => {
    refused(await post('/api/v1/builds/run', { ...build, toolchain: 'g'.repeat(65) }), 400, 'toolchain must be at most 64 characters');
    refused(await post('/api/v1/builds/run', { ...build, arch: 'a'.repeat(33) }), 400, 'arch must be at most 32 characters');
    refused(await post('/api/v1/builds/run', { ...build, kconfig: 'k'.repeat(1025) }), 400, 'kconfig must be at most 1024 characters');
    refused(await post('/api/v1/tests/run', { ...test, build_id: 'b'.repeat(256) }), 400, 'build_id must be at most 255 characters');
    refused(await post('/api/v1/tests/run', { ...test, device: 'd'.repeat(65) }), 400, 'device must be at most 64 characters');
  });

  it('5. an explicit null for an optional field counts as absent; for a required one it is refused', async () => {
    const before = await counts();
    /** The bridge's path; the record's URL comes back in Location. */
    const scheduled = async (path: string, body: unknown) => {
      const res = await fetch(rt.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect({ path, status: res.status }).toEqual({ path, status: 204 });
      return (await call(rt.url, 'GET', res.headers.get('location') ?? '')).body;
    };
    expect(await scheduled('/api/v1/builds/run', { ...build, runner: 'tuxsuite', arch: null, fragments: null })).toMatchObject({
      arch: 'riscv',
      fragments: [],
      runner: 'tuxsuite',
    });
    expect(await scheduled('/api/v1/tests/run', { ...test, device: null })).toMatchObject({ device: 'qemu-riscv64' });
    refused(await post('/api/v1/builds/run', { ...build, toolchain: null }), 400, 'toolchain');
    expect(await counts()).toEqual({ ...before, builds: String(Number(before.builds) + 1), tests: String(Number(before.tests) + 1) });
  });

  it('6. a lone UTF-16 surrogate in a description: 400, nothing executed', async () => {
    const before = await counts();
    const body = { expid: 'a001', profile_name: 'LOCAL_NO_MODULE', description: '\ud800x' };
    refused(await post('/v4/runners/command/update-experiment-description', body), 400, 'body.description is not well-formed Unicode');
    refused(
      await post('/v4/runners/command/create-experiment', { profile_name: 'LOCAL_NO_MODULE', command_params: { description: 'x\udc00' } }),
      400,
      'body.command_params.description',
    );
    expect(await counts()).toEqual(before);
  });

  it('refuses a reserved key such as __proto__ in profile_params with its name, instead of dropping it', async () => {
    const body = '{"expid":"a001","profile_name":"LOCAL_OPEN","profile_params":{"__proto__":{"x":1},"MODULE_LOADER_TYPE":"NO_MODULE"}}';
    refused(await post('/api/v1/runs', body), 400, 'body.profile_params.__proto__: the key "__proto__" is reserved');
    refused(
      await post('/api/v1/runs', { expid: 'a001', profile_name: 'LOCAL_OPEN', profile_params: { PROTO: 1 } }),
      400,
      'profile_params.PROTO',
    );
  });

  it('answers malformed JSON and undecodable paths with the error body and a request id, never with X-Powered-By', async () => {
    refused(await post('/api/v1/runs', '{"expid": '), 400, 'the body is not valid JSON');
    const res = await fetch(`${rt.url}/api/v1/runs/%E0`);
    expect(res.status).toBe(400);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(await res.json()).toEqual({ error: true, error_message: expect.stringContaining('not percent-encoded UTF-8') });
  });
});
