import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { once } from 'node:events';
import { CountingProxy, NOTHING_LEFT, runClient, sdkLeftovers, startClient, typescriptProject } from './support/sdk-clients';
import { RunyardUnderTest, startRunyard } from './support/runyard';

/**
 * The TypeScript twins of the seed's examples, in a user's project with @runyard/sdk installed by
 * path and compiled by tsc (Node 20: `await using` compiled down, Symbol.asyncDispose from Node),
 * against the demo configuration; then order under load, a 50 MB future that never reaches the
 * client, remote errors, and service() failing early.
 */
describe('Runner SDK from TypeScript', () => {
  let rt: RunyardUnderTest;
  let project: string;
  const node = (script: string, env: Record<string, string> = {}, args: string[] = []) =>
    runClient(process.execPath, [join('dist', script), ...args], project, { RUNYARD_URL: rt.url, ...env });

  beforeAll(async () => {
    [rt, project] = await Promise.all([startRunyard({ config: '', env: { RUNYARD_CONFIG: '' } }), typescriptProject()]);
  });
  afterAll(() => rt?.close());

  it.each([
    ['example-1-simple-function.js', '4\n'],
    ['example-2-class-with-state.js', '4\n14\n'],
    ['example-3-object-future-as-argument.js', '28\n'],
    ['multiple-services.js', '8\n28\n'],
    ['keyword-arguments.js', 'Hi, World!\n'],
  ])("runs the twin %s and prints the seed's results", async (script, printed) => {
    const done = await node(script);
    expect({ code: done.code, stdout: done.stdout, stderr: done.stderr }).toEqual({ code: 0, stdout: printed, stderr: '' });
  });

  it('leaves nothing behind once the `await using` block is left', async () => {
    expect(await sdkLeftovers(rt.databaseUrl)).toEqual(NOTHING_LEFT);
    for (const dir of ['packages', 'objects']) expect(readdirSync(join(rt.env.RUNYARD_DATA_DIR, dir))).toEqual([]);
  });

  it('applies 1,000 adds from four client processes to one Counter exactly once each, every client’s in its order', async () => {
    const owner = startClient(process.execPath, [join('dist', 'load-owner.js')], project, { RUNYARD_URL: rt.url });
    const session = await new Promise<number>((resolve, reject) => {
      owner.stdout!.on('data', () => {
        const m = /session (\d+)/.exec(owner.output());
        if (m) resolve(Number(m[1]));
      });
      owner.once('exit', () => reject(new Error(`the owner exited: ${owner.output()}`)));
    });
    const clients = await Promise.all([0, 1, 2, 3].map(() => node('load-client.js', {}, [String(session), '250'])));
    const answers = clients.map((c) => {
      expect(c.stderr).toBe('');
      return JSON.parse(c.stdout) as number[];
    });
    // Each add answers the count after it: no update lost or applied twice means the answers are exactly 1…1000.
    expect(answers.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    for (const a of answers) expect(a).toEqual([...a].sort((x, y) => x - y));
    owner.stdin!.end('done\n');
    await once(owner, 'exit');
    expect(owner.output()).toContain('total 1000');
  });

  it('passes a 50 MB result on as an argument without the client receiving it', async () => {
    const proxy = await new CountingProxy(new URL(rt.url)).start();
    try {
      const done = await node('big-result.js', { RUNYARD_URL: proxy.url });
      expect({ code: done.code, stdout: done.stdout, stderr: done.stderr }).toEqual({ code: 0, stdout: '50000000\n', stderr: '' });
      // Everything the client received over its connections: answers, the small result, no 50 MB.
      expect(proxy.toClient).toBeGreaterThan(0);
      expect(proxy.toClient).toBeLessThan(200 * 1024);
    } finally {
      await proxy.close();
    }
  });

  it("resolves Flame's lists of futures: get() in the list's order, wait() without downloading a large result", async () => {
    const done = await node('flame-lists.js');
    expect({ code: done.code, stdout: done.stdout, stderr: done.stderr }).toEqual({
      code: 0,
      stdout: '[3,7,11]\nwaited without downloading true\nTypeError: wait() takes an array of ObjectFuture\n',
      stderr: '',
    });
  });

  it("names a session as Flame's SessionContext does, joining an open one of that name, and refuses a bad name", async () => {
    const done = await node('flame-sessions.js');
    expect({ code: done.code, stdout: done.stdout, stderr: done.stderr }).toEqual({
      code: 0,
      stdout:
        'counter-001 true 5\ntrue\n' +
        `400 session name "two words" must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit\n`,
      stderr: '',
    });
  });

  it("rejects a failed call's future with the remote error's type, message and stack", async () => {
    const done = await node('failing.js');
    expect(done.stdout).toBe('true | RangeError | only 3 left, 5 asked | true\n2\n');
  });

  it('fails at service(), saying what to export where, when the code cannot be shipped', async () => {
    const done = await node('early-failures.js');
    const [hidden, secret] = done.stdout.trim().split('\n');
    expect(hidden).toBe(
      `ServiceDefinitionError: cannot tell which module exports Hidden: export it from a file under ${project} and wrap it with remote() ` +
        `(export const Hidden = remote(…)), or pass { module: new URL('./file.js', import.meta.url) }`,
    );
    expect(secret).toBe(
      'ServiceDefinitionError: dist/excluded/secret.js (which defines Secret) is excluded from the package by "excluded/"',
    );
  });
});

/** Object storage an admin configured, gone under a running client: the call fails at once, naming the storage. */
describe('Runner SDK from TypeScript, when its object storage is deleted', () => {
  let rt: RunyardUnderTest;
  let project: string;
  const objects = mkdtempSync(join(tmpdir(), 'runyard-objects-'));

  beforeAll(async () => {
    [rt, project] = await Promise.all([
      startRunyard({ config: '', env: { RUNYARD_CONFIG: '', OBJECT_STORAGE: pathToFileURL(objects).href } }),
      typescriptProject(),
    ]);
  });
  afterAll(() => rt?.close());

  it('fails a call whose instance state grew too large to travel inline with StorageLostError, and the instance keeps its last committed state', async () => {
    try {
      const done = await runClient(process.execPath, [join('dist', 'state-lost.js'), objects], project, { RUNYARD_URL: rt.url });
      // The failed call left nothing behind: the next one makes two items, not three.
      expect({ code: done.code, stdout: done.stdout }).toEqual({ code: 0, stdout: 'first 1\nStorageLostError | true | true\nnext 2\n' });
    } finally {
      mkdirSync(objects, { recursive: true });
    }
  });
});
