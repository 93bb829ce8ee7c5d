import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NOTHING_LEFT, pythonEnv, pythonProject, runClient, sdkLeftovers, startClient } from './support/sdk-clients';
import { eventually } from './support/http';
import { ROOT, RunyardUnderTest, sharedStateDir, startRunyard } from './support/runyard';

const CLI = join(ROOT, 'dist', 'apps', 'cli', 'main.js');

const BOOTSTRAP = 'runner-sdk-python-bootstrap-secret';

/**
 * The seed's Runner API examples (seed 002) with `from flamepy import Runner` replaced by
 * `from runyard import Runner`, run unchanged by real python3 against the quick start's demo
 * configuration (no runyard.yaml: one LOCAL profile, NO_MODULE), with an operator token.
 */
describe('Runner SDK from Python, on the demo configuration', () => {
  let rt: RunyardUnderTest;
  let token: string;
  let project: string;
  const python = (file: string, dir = project) => runClient('python3', [file], dir, pythonEnv(rt.url, token));
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(rt.url + path, {
      ...init,
      headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json', ...init.headers },
    });

  beforeAll(async () => {
    // An empty RUNYARD_CONFIG is the default ./runyard.yaml, absent from the checkout: the demo configuration.
    rt = await startRunyard({ config: '', env: { RUNYARD_CONFIG: '', AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: BOOTSTRAP } });
    const created = await admin('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ name: 'python-client', role: 'operator' }) });
    token = ((await created.json()) as { token: string }).token;
    project = pythonProject();
  });
  afterAll(() => rt?.close());

  it.each([
    ['example_1_simple_function.py', '4\n'],
    ['example_2_class_with_state.py', '4\n14\n'],
    ['example_3_object_future_as_argument.py', '28\n'],
    ['multiple_services.py', '8\n28\n'],
    ['keyword_arguments.py', 'Hi, World!\n'],
  ])("runs the seed's %s unchanged and prints the seed's results", async (file, printed) => {
    const done = await python(file);
    expect({ code: done.code, stdout: done.stdout, stderr: done.stderr }).toEqual({ code: 0, stdout: printed, stderr: '' });
  });

  it('leaves nothing behind: no rows, no package or object files; every executor ended COMPLETED', async () => {
    expect(await sdkLeftovers(rt.databaseUrl)).toEqual(NOTHING_LEFT);
    for (const dir of ['packages', 'objects']) expect(readdirSync(join(rt.env.RUNYARD_DATA_DIR, dir))).toEqual([]);
    const runs = (await (await admin('/api/v1/runs?kind=session&limit=100')).json()) as { runs: { status: string; argv: string[] }[] };
    // Example 1 and 5: one service; 2: two; 3: one; multiple services: two.
    expect(runs.runs).toHaveLength(7);
    for (const r of runs.runs) expect(r).toMatchObject({ status: 'COMPLETED', argv: ['python3', 'runyard-executor.pyz'] });
  });

  it("raises the remote exception's own type and message at get(), with the remote traceback as its cause", async () => {
    const dir = pythonProject(
      {
        'failing.py': `from runyard import Runner

class InventoryError(Exception):
    pass

def check(n):
    if n > 3:
        raise InventoryError(f"only 3 left, {n} asked")
    return n

def parse(text):
    return int(text)

with Runner("failing-app") as rr:
    c = rr.service(check)
    p = rr.service(parse)
    ok = c(2)
    try:
        c(5).get()
    except InventoryError as e:
        print(type(e).__name__, "|", e, "|", "raise InventoryError" in str(e.__cause__), "|", "failing.py" in str(e.__cause__))
    try:
        p("x").get()
    except ValueError as e:
        print(type(e).__name__, "|", e)
    print(ok.get())
`,
      },
      false,
    );
    const done = await python('failing.py', dir);
    expect(done.stderr).toBe('');
    expect(done.stdout).toBe(
      `InventoryError | only 3 left, 5 asked | True | True\nValueError | invalid literal for int() with base 10: 'x'\n2\n`,
    );
  });

  it('does not wait for a future passed as an argument: the call is submitted while its argument is still running', async () => {
    // The first call finishes only once the client has submitted the second: a client that waited would never get there.
    // Where both can see it: the executor runs as an account of its own, which cannot enter the client's project.
    const gate = join(sharedStateDir('runyard-gate-'), 'gate-opened');
    const dir = pythonProject(
      {
        'gate.py': `import os, sys, time
from runyard import Runner

def wait_for(path):
    while not os.path.exists(path):
        time.sleep(0.02)
    return 41

def plus_one(x):
    return x + 1

with Runner("gate-app") as rr:
    waiting = rr.service(wait_for)
    adding = rr.service(plus_one)
    pending = waiting(sys.argv[1])
    result = adding(pending)
    open(sys.argv[1], "w").close()
    print(result.get())
`,
      },
      false,
    );
    const done = await runClient('python3', ['gate.py', gate], dir, pythonEnv(rt.url, token), 30_000);
    expect({ code: done.code, stdout: done.stdout }).toEqual({ code: 0, stdout: '42\n' });
  });

  it("honours Flame's default excludes and the user's, by path and base name", async () => {
    const dir = pythonProject(
      {
        'listing.py': `import os
from runyard import Runner

def packaged():
    root = os.path.join(os.getcwd(), "extracted_listing-app")
    found = []
    for d, _, files in os.walk(root):
        found += [os.path.relpath(os.path.join(d, f), root) for f in files if f != ".runyard-package"]
    return sorted(found)

with Runner("listing-app", excludes=["*.log", "data/"]) as rr:
    print(rr.service(packaged)().get())
`,
        'keep.txt': 'kept',
        'run.log': 'left out by *.log',
      },
      false,
    );
    for (const [sub, file] of [
      ['data', 'big.bin'],
      ['.venv/bin', 'python'],
      ['pkg/__pycache__', 'm.cpython-311.pyc'],
      ['pkg', 'mod.py'],
      ['pkg', 'old.pyc'],
      ['logs', 'x.log'],
    ]) {
      mkdirSync(join(dir, sub), { recursive: true });
      writeFileSync(join(dir, sub, file), 'x');
    }
    const done = await python('listing.py', dir);
    expect(done.stdout).toBe(`['keep.txt', 'listing.py', 'pkg/mod.py']\n`);
  });

  it('uploads an unchanged directory once, whatever the number of applications on it', async () => {
    type Event = { id: string; method: string; path: string };
    const events = async () => (await (await admin('/api/v1/audit?limit=500')).json()) as Event[];
    // The audit trail is written in batches: what the earlier tests did is in it once a batch's time has passed.
    await new Promise((r) => setTimeout(r, 500));
    const before = Math.max(0, ...(await events()).map((e) => Number(e.id)));
    const dir = pythonProject(
      { 'twice.py': 'from runyard import Runner\n\nwith Runner("twice-a") as a, Runner("twice-b") as b:\n    print("both registered")\n' },
      false,
    );
    expect((await python('twice.py', dir)).stdout).toBe('both registered\n');
    const since = await eventually(async () => {
      const now = (await events()).filter((e) => Number(e.id) > before);
      const removed = now.filter((e) => e.method === 'DELETE' && /^\/api\/v1\/objects\/twice-[ab]$/.test(e.path));
      return removed.length === 2 && now;
    });
    expect(since.filter((e) => e.method === 'POST' && e.path === '/api/v1/applications')).toHaveLength(2);
    expect(since.filter((e) => e.method === 'PUT' && e.path.startsWith('/api/v1/packages/'))).toHaveLength(1);
  });

  it('lists applications and sessions in the CLI, and `runyard apps rm` removes an application and what it owns', async () => {
    const dir = pythonProject(
      {
        'idle.py': `import time
from runyard import Runner

class Ledger:
    def add(self, n):
        return n

rr = Runner("idle-app").start()
rr.service(Ledger()).add(1).get()
print("ready", flush=True)
time.sleep(600)
`,
      },
      false,
    );
    const client = startClient('python3', ['idle.py'], dir, pythonEnv(rt.url, token));
    try {
      await eventually(async () => client.output().includes('ready'), 20_000, 'the client');
      const cli = (...args: string[]) => runClient(process.execPath, [CLI, ...args], dir, { RUNYARD_URL: rt.url, RUNYARD_TOKEN: token });
      expect((await cli('apps')).stdout).toMatch(/^NAME +RUNTIME +PROFILE +SESSIONS .*\nidle-app +python +LOCAL +1 /);
      expect((await cli('sessions', '--app', 'idle-app')).stdout).toMatch(
        /\n\d+ +idle-app-\d+ +idle-app +instance +ordered +open +1\/1 +\d+ /,
      );
      expect(await cli('apps', 'rm', 'idle-app')).toMatchObject({
        code: 0,
        stdout: 'application idle-app removed: its sessions closed, its objects deleted, its package released\n',
      });
      expect(await sdkLeftovers(rt.databaseUrl)).toMatchObject({ sdk_applications: 0, sdk_objects: 0, sdk_packages: 0 });
      expect((await cli('apps')).stdout).toBe('no applications\n');
    } finally {
      client.kill('SIGKILL');
    }
  });

  it("reads many finished calls' results in a few requests, each future answered its own result (or its call's error)", async () => {
    const dir = pythonProject(
      {
        'many.py': `from runyard import Runner

def double(n):
    if n == 150:
        raise ValueError("not 150")
    return 2 * n

with Runner("many-app") as rr:
    svc = rr.service(double)
    futures = [svc(n) for n in range(300)]
    looks = []
    request = rr._api.request
    def counted(method, path, *args, **kwargs):
        if "/results?" in path:
            looks.append(path)
        return request(method, path, *args, **kwargs)
    rr._api.request = counted
    futures[-1].get()
    wrong = []
    for n, f in enumerate(futures):
        try:
            if f.get() != 2 * n:
                wrong.append(n)
        except ValueError as e:
            if n != 150 or str(e) != "not 150":
                wrong.append(n)
    print("wrong:", wrong)
    print("few looks:", len(looks) <= 10, len(looks))
`,
      },
      false,
    );
    const done = await python('many.py', dir);
    expect(done.stderr).toBe('');
    expect(done.stdout).toMatch(/^wrong: \[\]\nfew looks: True \d+\n$/);
  });
});
