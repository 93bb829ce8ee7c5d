import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { eventually } from './support/http';
import { RunyardProcess, RunyardUnderTest, sharedStateDir, startRunyard } from './support/runyard';
import { NOTHING_LEFT, pythonEnv, pythonProject, sdkLeftovers, startClient } from './support/sdk-clients';

/** API and two workers as separate processes: what becomes of a session when a worker, or its client, is killed. */
describe('Runner SDK sessions through crashes', () => {
  let rt: RunyardUnderTest;
  let workers: RunyardProcess[];

  beforeAll(async () => {
    rt = await startRunyard({ config: '', role: 'api', env: { RUNYARD_CONFIG: '', SESSION_REAPER_MS: '300', SESSION_LEASE_MS: '1500' } });
    workers = [await rt.startWorker(), await rt.startWorker()];
  });
  afterAll(() => rt?.close());

  async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
    const c = new Client({ connectionString: rt.databaseUrl });
    await c.connect();
    try {
      return (await c.query(text, params)).rows as T[];
    } finally {
      await c.end();
    }
  }

  it('resumes a session whose worker and executor were SIGKILLed mid-call from its last committed state, applying no call twice', async () => {
    const dir = pythonProject(
      {
        'ledger.py': `import os, sys, time
from runyard import Runner

class Ledger:
    def __init__(self):
        self.total = 0

    def add(self, n):
        self.total += n
        return self.total

    def slow_add(self, n, started, gate):
        with open(started, "a") as f:
            f.write("x")
        while not os.path.exists(gate):
            time.sleep(0.05)
        self.total += n
        return self.total

    def get(self):
        return self.total

with Runner("ledger-app") as rr:
    ledger = rr.service(Ledger)
    print("first", ledger.add(1).get(), flush=True)
    slow = ledger.slow_add(10, sys.argv[1], sys.argv[2])
    after = ledger.add(100)
    print("slow", slow.get(), "after", after.get(), "total", ledger.get().get(), flush=True)
`,
      },
      false,
    );
    // Where client, test and executor all see them: the executor runs as an account of its own.
    const shared = sharedStateDir('runyard-ledger-');
    const started = join(shared, 'started');
    const gate = join(shared, 'gate');
    // Each attempt of the call runs in an executor of its own account: both append to one file the test made writable.
    writeFileSync(started, '');
    chmodSync(started, 0o666);
    const client = startClient('python3', ['ledger.py', started, gate], dir, pythonEnv(rt.url));
    await eventually(
      async () => client.output().includes('first 1') && readFileSync(started, 'utf8').length > 0,
      20_000,
      'the slow call to run',
    );

    // The worker holding the session's run dies, and the executor with it (its whole process group): a host going down.
    const [run] = await sql<{ id: number; pid: number; worker_id: string }>(`SELECT id, pid, worker_id FROM runs WHERE kind = 'session'`);
    const holder = workers.find((w) => run.worker_id.split(':')[1] === String(w.child.pid))!;
    expect(holder).toBeDefined();
    await holder.stop('SIGKILL');
    process.kill(-run.pid, 'SIGKILL');
    writeFileSync(gate, 'open');

    await eventually(async () => client.exitCode !== null, 30_000, 'the client to finish');
    expect(client.output()).toContain('slow 11 after 111 total 111');
    expect(client.exitCode).toBe(0);
    // Run twice (the first time killed before it committed), applied once.
    expect(readFileSync(started, 'utf8')).toBe('xx');
    const runs = await sql<{ status: string; detail: string }>(`SELECT status, detail FROM runs WHERE kind = 'session' ORDER BY id`);
    // Whole rows: a run that ended otherwise shows its detail.
    expect(runs).toEqual([expect.objectContaining({ status: 'LOST' }), expect.objectContaining({ status: 'COMPLETED' })]);
    workers = workers.filter((w) => w !== holder);
  });

  it('keeps a session through a restart of the API: its executor reconnects and serves the next calls from its state', async () => {
    const dir = pythonProject(
      {
        'restart.py': `import os, sys, time
from runyard import Runner

class Counter:
    def __init__(self):
        self.n = 0

    def add(self, k):
        self.n += k
        return self.n

with Runner("restart-app") as rr:
    counter = rr.service(Counter)
    print("before", counter.add(1).get(), flush=True)
    while not os.path.exists(sys.argv[1]):
        time.sleep(0.05)
    print("after", counter.add(2).get(), flush=True)
`,
      },
      false,
    );
    const gate = join(dir, 'gate');
    const client = startClient('python3', ['restart.py', gate], dir, pythonEnv(rt.url));
    await eventually(async () => client.output().includes('before 1'), 20_000, 'the first call');
    // A graceful stop must not wait for the executor's long-polls; the new API takes them over.
    await rt.restartApi('SIGTERM');
    writeFileSync(gate, 'open');
    await eventually(async () => client.exitCode !== null, 30_000, 'the client to finish');
    expect(client.output()).toContain('after 3');
    expect(client.exitCode).toBe(0);
  });

  it('removes the application, objects and package of a client that was SIGKILLed, once its lease expires', async () => {
    const dir = pythonProject(
      {
        'orphan.py': `import time
from runyard import Runner

def blob(n):
    return b"z" * n

def size(data):
    return len(data)

with Runner("orphan-app") as rr:
    made = rr.service(blob)(500_000)
    print("ready", rr.service(size)(made).get(), flush=True)
    time.sleep(600)
`,
      },
      false,
    );
    const client = startClient('python3', ['orphan.py'], dir, pythonEnv(rt.url));
    await eventually(async () => client.output().includes('ready 500000'), 20_000, 'the client to be ready');
    expect(readdirSync(join(rt.env.RUNYARD_DATA_DIR, 'objects'))).toEqual(['orphan-app']);
    expect((await sdkLeftovers(rt.databaseUrl)).sdk_packages).toBe(1);

    client.kill('SIGKILL');
    await eventually(
      async () => JSON.stringify(await sdkLeftovers(rt.databaseUrl)) === JSON.stringify(NOTHING_LEFT),
      15_000,
      'the reaper to clean up',
    );
    for (const d of ['packages', 'objects']) expect(readdirSync(join(rt.env.RUNYARD_DATA_DIR, d))).toEqual([]);
    // Its executors were stopped: no session run is left running.
    await eventually(
      async () => (await sql(`SELECT 1 FROM runs WHERE kind = 'session' AND finished_at IS NULL`)).length === 0,
      15_000,
      'its executors to end',
    );
  });
});
