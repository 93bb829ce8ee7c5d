import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pythonEnv, pythonProject, runClient } from './support/sdk-clients';
import { RunyardUnderTest, startRunyard } from './support/runyard';

const BOOTSTRAP = 'runner-sdk-flame-bootstrap-secret';

/**
 * Flame's Runner API as its own e2e tests (xflops/flame e2e/tests/test_runner.py) use it, written against
 * `runyard`: lists of futures, the Runner started in its constructor, fail_if_exists, autoscale/warmup,
 * ObjectRef's endpoint/version/encoding, flamepy's module functions and error codes.
 */
describe("Runner SDK from Python, with Flame's Runner API", () => {
  let rt: RunyardUnderTest;
  let token: string;
  const python = (files: Record<string, string>) =>
    runClient('python3', ['main.py'], pythonProject(files, false), pythonEnv(rt.url, token), 120_000);

  beforeAll(async () => {
    rt = await startRunyard({ config: '', env: { RUNYARD_CONFIG: '', AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: BOOTSTRAP } });
    const created = await fetch(rt.url + '/api/v1/tokens', {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'flame-client', role: 'operator' }),
    });
    token = ((await created.json()) as { token: string }).token;
  });
  afterAll(() => rt?.close());

  it('resolves, waits for, references and selects lists of futures as Flame does; anything else is a TypeError', async () => {
    const done = await python({
      'main.py': `import os
import runyard
from runyard import Runner

def sum_fn(a, b):
    return a + b

def blob(n):
    return b"x" * n

rr = Runner("flame-futures")
s = rr.service(sum_fn)
fs = [s(i, 1) for i in range(5)]
print("get", rr.get(fs))
print("select", sorted(f.get() for f in rr.select(fs)), len(list(rr.select(fs))))
refs = rr.ref(fs)
print("ref", all(r.version >= 1 and r.endpoint == os.environ["RUNYARD_URL"] and r.url.endswith("/api/v1/objects/" + r.key) for r in refs))
print("encoded", runyard.ObjectRef.decode(refs[0].encode()) == refs[0], runyard.ObjectRef.decode(refs[0].encode()).version == refs[0].version)
big = rr.service(blob)(3_000_000)
before = rr._api.bytes_received
rr.wait([big])
big.wait()
print("waited without downloading", rr._api.bytes_received - before < 100_000)
print("then got", len(big.get()))
for bad in (fs[0], 5, [1, 2]):
    try:
        rr.get(bad) if bad == 5 else rr.wait(bad)
    except TypeError as e:
        print("TypeError:", e)
rr.close()
`,
    });
    expect(done.stderr).toBe('');
    expect(done.stdout).toBe(
      [
        'get [1, 2, 3, 4, 5]',
        'select [1, 2, 3, 4, 5] 5',
        'ref True',
        'encoded True True',
        'waited without downloading True',
        'then got 3000000',
        'TypeError: wait() takes a list of ObjectFuture, not ObjectFuture',
        'TypeError: get() takes a list of ObjectFuture (or one ObjectFuture, ObjectRef or key), not int',
        'TypeError: wait() takes a list of ObjectFuture; it got a int',
        '',
      ].join('\n'),
    );
  });

  it('starts in the constructor, reuses or refuses an existing application as fail_if_exists says, and keeps the seed form', async () => {
    const done = await python({
      'main.py': `import os
import runyard
from runyard import FlameError, FlameErrorCode, Runner

def names():
    return [a.name for a in runyard.list_applications()]

rr = Runner("flame-start")
print("registered by the constructor", "flame-start" in names(), runyard.get_application("flmrun") is not None)
try:
    Runner("flame-start", fail_if_exists=True)
except FlameError as e:
    print("refused", e.code == FlameErrorCode.ALREADY_EXISTS)
again = Runner("flame-start")
again.close()
print("a reusing runner leaves it", runyard.get_application("flame-start") is not None)
rr.close()
rr.close()
print("closed", runyard.get_application("flame-start") is None)
with Runner("flame-seed-form") as seed:
    print("seed form", seed.service(lambda a, b: a + b)(1, 3).get(), "flame-seed-form" in names())
print("left", "flame-seed-form" in names())
ctx = runyard.FlameContext()
print("context", ctx.cache == os.environ["RUNYARD_URL"], ".venv" in ctx.package.excludes, runyard.FlamePackage(storage="x", excludes=["*.log"]).excludes)
`,
    });
    expect(done.stderr).toBe('');
    expect(done.stdout).toBe(
      'registered by the constructor True True\nrefused True\na reusing runner leaves it True\nclosed True\nseed form 4 True\nleft False\n' +
        "context True True ['*.log']\n",
    );
  });

  it("serves autoscale and warmup with Runyard's replicas and refuses an autoscaled instance with Flame's error", async () => {
    const done = await python({
      'main.py': `from runyard import Runner

class Counter:
    def __init__(self):
        self.count = 0

    def add(self, n):
        self.count += n
        return self.count

    def get_count(self):
        return self.count

with Runner("flame-scale") as rr:
    for kwargs in ({"autoscale": True}, {"warmup": 2}, {"warmup": -1}):
        try:
            rr.service(Counter(), **kwargs)
        except ValueError as e:
            print("ValueError:", e)
    counter = Counter()
    counter.add(10)
    cnt = rr.service(counter, warmup=1)
    cnt.add(1).wait()
    cnt.add(3).wait()
    print("instance", cnt.get_count().get())
    pool = rr.service(Counter, autoscale=True)
    print("autoscaled class", len(rr.get([pool.add(2) for _ in range(4)])), pool.methods)
`,
    });
    expect(done.stderr).toBe('');
    expect(done.stdout).toBe(
      [
        'ValueError: Object instance services are always fixed. Omit autoscale or pass autoscale=False.',
        'ValueError: Object instance services only support warmup=0 or warmup=1.',
        'ValueError: warmup must be a non-negative integer.',
        'instance 14',
        "autoscaled class 4 ['add', 'get_count']",
        '',
      ].join('\n'),
    );
  });

  it("names a session by its SessionContext (Flame's RFE350), joins an open one of that name and reads its calls back", async () => {
    const done = await python({
      'main.py': `from concurrent.futures import ThreadPoolExecutor
import runyard
from runyard import FlameError, FlameErrorCode, Runner, SessionContext

class Doubler:
    _session_context = SessionContext(session_id="doubler-001", application_name="flame-named")

    def compute(self, x):
        return x * 2

def add(a, b):
    return a + b

with Runner("flame-named") as rr:
    svc = rr.service(Doubler)
    first = svc.compute(21)
    print("named", svc._session.id, first.get())
    again = rr.service(Doubler)
    print("joined", again._session.id, again.session_id == svc.session_id, again.compute(first).get())
    plain = rr.service(add)
    print("unnamed", plain._session.id == "flame-named-%d" % plain.session_id, plain(5, 3).get())
    add._session_context = {"session_id": "ignored"}
    print("not a SessionContext: ignored", rr.service(add)._session.id.startswith("flame-named-"))
    for what, bad in (("a space", "two words"), ("a dash first", "-dash"), ("Runyard's form", "flame-named-%d" % (plain.session_id + 100))):
        add._session_context = SessionContext(session_id=bad)
        try:
            rr.service(add)
        except FlameError as e:
            print("refused", what, e.status, e.code == FlameErrorCode.INVALID_ARGUMENT)
    add._session_context = SessionContext(session_id="doubler-001")
    try:
        rr.service(add)
    except FlameError as e:
        print("another service:", e.status, "serves another class" in str(e))
    del add._session_context
    gone = rr.service(add)
    gone.close()
    add._session_context = SessionContext(session_id=gone._session.id)
    try:
        rr.service(add)
    except FlameError as e:
        print("a closed one:", e.status, "is closed" in str(e))
    session = runyard.get_session("doubler-001")
    tasks = list(session.list_tasks())
    print("tasks", [t.id for t in tasks], [t.state.name for t in tasks], session.state.name)
    print("inputs", [(d["type"], d["method"], d["args"]) for d in map(runyard.get_data, [t.input for t in tasks])])
    print("outputs", [(d["type"], d["result"]) for d in map(runyard.get_data, [t.output for t in tasks])])
    fn = [runyard.get_data(t.input) for t in runyard.get_session(plain._session.id).list_tasks()]
    print("function input", fn[0]["method"], fn[0]["args"])
    for data in (b"", b"not an encoded reference"):
        try:
            runyard.get_data(data)
        except runyard.RunnerError as e:
            print("undecodable", e.error_type.name)
    print("listed", [s.id for s in runyard.list_sessions("flame-named") if s.id == "doubler-001"])

    class Racer:
        _session_context = SessionContext(session_id="raced")

        def ping(self):
            return "pong"

    with ThreadPoolExecutor(8) as pool:
        raced = list(pool.map(lambda _: rr.service(Racer), range(8)))
    print("opened at once", len({r.session_id for r in raced}), len([s for s in runyard.list_sessions("flame-named") if s.id == "raced"]))

    def elsewhere():
        return Runner("flame-elsewhere").name

    def another_session():
        return Runner("flame-named").service(add).session_id

    for fn, says in ((elsewhere, "needs an API token of its own"), (another_session, "opens only its own session")):
        try:
            rr.service(fn)().get()
        except FlameError as e:
            print("a Runner in an executor:", says in str(e))
print("cleaned up", [s.id for s in runyard.list_sessions("flame-named")])
`,
    });
    expect(done.stderr).toBe('_session_context is a dict, not a SessionContext: ignored\n');
    expect(done.stdout).toBe(
      [
        'named doubler-001 42',
        'joined doubler-001 True 84',
        'unnamed True 8',
        'not a SessionContext: ignored True',
        'refused a space 400 True',
        'refused a dash first 400 True',
        "refused Runyard's form 400 True",
        'another service: 400 True',
        'a closed one: 409 True',
        "tasks [1, 2] ['SUCCEED', 'SUCCEED'] OPEN",
        "inputs [('input', 'compute', (21,)), ('input', 'compute', (42,))]",
        "outputs [('output', 42), ('output', 84)]",
        'function input None (5, 3)',
        'undecodable DECODE_ERROR',
        'undecodable DECODE_ERROR',
        "listed ['doubler-001']",
        'opened at once 1 1',
        'a Runner in an executor: True',
        'a Runner in an executor: True',
        'cleaned up []',
        '',
      ].join('\n'),
    );
  });

  it("serves Flame's recursive services: code served by a session opens it again and calls it, unless it is ordered", async () => {
    const done = await python({
      'main.py': `from runyard import FlameError, Runner, SessionContext

class Recursive:
    _session_context = SessionContext(session_id="recursive-001")

    def compute(self, depth):
        if depth <= 0:
            return 1
        with Runner("flame-recursive") as inner:
            return inner.service(type(self), autoscale=True).compute(depth - 1).get() * 2

class Ordered(Recursive):
    _session_context = SessionContext(session_id="ordered-001")

with Runner("flame-recursive") as rr:
    svc = rr.service(Recursive, autoscale=True)
    print("depths", [svc.compute(d).get() for d in range(3)], svc._session.id)
    try:
        rr.service(Ordered).compute(1).get()
    except FlameError as e:
        print("ordered:", "cannot wait for another of it" in str(e))
`,
    });
    expect(done.stderr).toBe('');
    expect(done.stdout).toBe('depths [1, 2, 4] recursive-001\nordered: True\n');
  });

  it("keeps another token's session of the same name out of reach: not joined, not listed by its calls, not closed", async () => {
    const other = await fetch(rt.url + '/api/v1/tokens', {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'flame-attacker', role: 'operator' }),
    });
    const attacker = ((await other.json()) as { token: string }).token;
    // The victim's client leaves without cleaning up: its application and session stay while the lease lasts.
    const victim = await python({
      'main.py': `import os
from runyard import Runner, SessionContext

class Vault:
    _session_context = SessionContext(session_id="vault")

    def secret(self, x):
        return "secret-%d" % x

svc = Runner("flame-victim").service(Vault)
print(svc.session_id, svc.secret(7).get(), flush=True)
os._exit(0)
`,
    });
    expect(victim.stdout).toMatch(/^\d+ secret-7\n$/);
    const victimSession = Number(victim.stdout.split(' ')[0]);
    const done = await runClient(
      'python3',
      ['main.py'],
      pythonProject(
        {
          'main.py': `import runyard
from runyard import FlameError, Runner, SessionContext

class Vault:
    _session_context = SessionContext(session_id="vault")

    def secret(self, x):
        return "mine-%d" % x

with Runner("flame-attacker") as rr:
    mine = rr.service(Vault)
    print("own session of that name", mine.session_id != ${victimSession}, mine.secret(1).get())
    for what, call in (
        ("join", lambda: rr._api.json("POST", "/api/v1/sessions", {"application": "flame-victim", "name": "vault", "kind": "class", "codec": "cloudpickle", "methods": ["secret"], "service": "gA=="})),
        ("read calls", lambda: list(runyard.get_session("vault", application="flame-victim").list_tasks())),
        ("close", lambda: rr._api.json("DELETE", "/api/v1/sessions/${victimSession}")),
        ("submit", lambda: rr._api.json("POST", "/api/v1/sessions/${victimSession}/calls", {"calls": [{"id": "x1", "method": "secret", "args": "gA=="}]})),
    ):
        try:
            call()
            print(what, "ALLOWED")
        except FlameError as e:
            print(what, e.status)
    try:
        runyard.get_session("vault")
    except FlameError as e:
        print("ambiguous", e.status, "give application=" in str(e))
`,
        },
        false,
      ),
      pythonEnv(rt.url, attacker),
      120_000,
    );
    expect(done.stderr).toBe('');
    expect(done.stdout).toBe('own session of that name True mine-1\njoin 403\nread calls 403\nclose 403\nsubmit 403\nambiguous 400 True\n');
    const admin = { authorization: `Bearer ${BOOTSTRAP}` };
    const left = (await (await fetch(`${rt.url}/api/v1/sessions/${victimSession}`, { headers: admin })).json()) as Record<string, unknown>;
    expect(left).toMatchObject({ name: 'vault', status: 'open', calls: 1 });
    expect((await fetch(`${rt.url}/api/v1/applications/flame-victim`, { method: 'DELETE', headers: admin })).status).toBe(200);
  });

  it('leaves no local archive behind when start() fails', async () => {
    const done = await python({
      'main.py': `import os, tempfile
import runyard

tempfile.tempdir = tempfile.mkdtemp(prefix="flame-tmp-")
try:
    runyard.Runner("flame-unreachable", url="http://127.0.0.1:9")
except runyard.RunyardError as e:
    print("start failed:", "cannot reach Runyard" in str(e), os.listdir(tempfile.tempdir))
`,
    });
    expect(done.stderr).toBe('');
    expect(done.stdout).toBe('start failed: True []\n');
  });
});

/** Storage an admin configured, gone under a running client: the calls fail at once, naming the storage and the fix. */
describe('Runner SDK from Python, when its storage is deleted', () => {
  let rt: RunyardUnderTest;
  const objects = mkdtempSync(join(tmpdir(), 'runyard-objects-'));
  const packages = mkdtempSync(join(tmpdir(), 'runyard-packages-'));
  const python = (dir: string) => runClient('python3', ['main.py'], dir, pythonEnv(rt.url), 120_000);

  beforeAll(async () => {
    rt = await startRunyard({
      config: '',
      env: { RUNYARD_CONFIG: '', OBJECT_STORAGE: pathToFileURL(objects).href, PACKAGE_STORAGE: pathToFileURL(packages).href },
    });
  });
  afterAll(() => rt?.close());

  it('fails a result too large to travel inline with StorageLostError when the object storage directory is gone', async () => {
    const dir = pythonProject(
      {
        'main.py': `import shutil
from runyard import Runner, StorageLostError

def blob(n):
    return b"x" * n

with Runner("storage-objects") as rr:
    svc = rr.service(blob)
    print("small", len(svc(10).get()))
    shutil.rmtree(${JSON.stringify(objects)})
    try:
        svc(1_000_000).get()
    except StorageLostError as e:
        print(type(e).__name__, "|", ${JSON.stringify(objects)} in str(e), "|", "mkdir -p" in str(e))
    print("still serving", len(svc(10).get()))
`,
      },
      false,
    );
    const done = await python(dir);
    expect(done.stdout).toBe('small 10\nStorageLostError | True | True\nstill serving 10\n');
    mkdirSync(objects, { recursive: true });
  });

  it('fails a call whose instance state grew too large to travel inline with StorageLostError at once, and the instance keeps its last committed state', async () => {
    const dir = pythonProject(
      {
        'main.py': `import shutil
from runyard import Runner, StorageLostError

class Bag:
    def __init__(self):
        self.items = []

    def add(self, n):
        self.items.append(b"x" * n)
        return len(self.items)

with Runner("storage-state") as rr:
    bag = rr.service(Bag())
    print("first", bag.add(10).get())
    shutil.rmtree(${JSON.stringify(objects)})
    try:
        bag.add(1_000_000).get()
    except StorageLostError as e:
        print(type(e).__name__, "|", "state" in str(e), "|", ${JSON.stringify(objects)} in str(e))
    print("next", bag.add(10).get())
`,
      },
      false,
    );
    const done = await python(dir);
    // The failed call left nothing behind: the next one makes two items, not three.
    expect(done.stdout).toBe('first 1\nStorageLostError | True | True\nnext 2\n');
    mkdirSync(objects, { recursive: true });
  });

  it('fails the calls of an application whose package file was deleted, naming it and the fix; running the client again repairs it', async () => {
    const dir = pythonProject(
      {
        'main.py': `import os, sys
from runyard import Runner, SessionLostError

def one():
    return 1

with Runner("storage-package") as rr:
    if sys.argv[1:] == ["delete"]:
        for f in os.listdir(${JSON.stringify(packages)}):
            os.remove(os.path.join(${JSON.stringify(packages)}, f))
    try:
        print("got", rr.service(one)().get())
    except SessionLostError as e:
        print(type(e).__name__, "|", "missing from the package storage" in str(e), "|", "run the client of application storage-package again" in str(e))
`,
      },
      false,
    );
    const deleted = await runClient('python3', ['main.py', 'delete'], dir, pythonEnv(rt.url), 120_000);
    expect(deleted.stdout).toBe('SessionLostError | True | True\n');
    expect((await python(dir)).stdout).toBe('got 1\n');
  });
});
