import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordedArgv } from './support/argv-log';
import { behave } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { Host, netnsUnavailable, Topology } from './support/netns';
import { pg, postgresDir } from './support/postgres-ha';
import { FIXTURES, profilesYaml, ROOT, runReachableDir, RunyardUnderTest } from './support/runyard';

const ADMIN = 'multi-host-admin-token';
const FINAL = ['COMPLETED', 'FAILED', 'TERMINATED', 'LOST'];
const DRAIN = 150;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unavailable = netnsUnavailable();
if (unavailable) console.warn(`\n*** multi-host drills SKIPPED: ${unavailable} ***\n`);

/**
 * Runyard on several hosts of one machine: PostgreSQL and Redis on host `db`, the API on `api`,
 * workers on `w1` and `w2`, each a network namespace with its own address and host name. A host is
 * cut off by taking its link down.
 */
(unavailable ? describe.skip : describe)('several hosts (network namespaces)', () => {
  let topo: Topology;
  let db: Host;
  let apiHost: Host;
  let w1: Host;
  let w2: Host;
  let w3: Host;
  let a1: Host;
  let url: string;
  const dir = runReachableDir('runyard-hosts-');
  const argvLog = join(dir, 'autosubmit-argv.log');
  const fakeState = join(dir, 'fake-autosubmit');
  const rt = { env: { FAKE_AUTOSUBMIT_STATE: fakeState } } as unknown as RunyardUnderTest;
  const api = (method: string, path: string, body?: unknown) => call(url, method, path, body, ADMIN);
  const get = async (id: number) => (await api('GET', `/api/v1/runs/${id}`)).body;
  const submit = async (expid: string) => {
    const res = await api('POST', '/api/v1/runs', { expid, profile_name: 'LOCAL_NO_MODULE' });
    expect(res.status).toBe(202);
    return res.body.id as number;
  };
  const finished = (id: number, ms = 30_000) =>
    eventually(
      async () => {
        const r = await get(id);
        return FINAL.includes(r.status) && r;
      },
      ms,
      `run ${id} finished`,
    );
  const env = (host: Host): Record<string, string> => ({
    PATH: `${join(FIXTURES, 'bin')}:${process.env.PATH}`,
    HOME: process.env.HOME ?? '/root',
    DATABASE_URL: `postgres://runyard@${db.address}:5432/runyard`,
    REDIS_URL: `redis://${db.address}:6379`,
    RUNYARD_CONFIG: join(dir, 'runyard.yaml'),
    RUNYARD_DATA_DIR: join(dir, `data-${host.name}`),
    AUTH_MODE: 'token',
    RUNYARD_BOOTSTRAP_TOKEN: ADMIN,
    HOST: host.address,
    PORT: '8080',
    HEARTBEAT_MS: '500',
    LOST_AFTER_MS: '3000',
    STOP_GRACE_MS: '2000',
    FAKE_AUTOSUBMIT_LOG: argvLog,
    FAKE_AUTOSUBMIT_STATE: fakeState,
    RUN_ENV_ALLOW: 'FAKE_AUTOSUBMIT_*',
    LOG_FORMAT: 'json',
    AGENT_HEARTBEAT_MS: '300',
    AGENT_LONG_POLL_MS: '1500',
    AGENT_LOST_AFTER_MS: '10000',
  });
  const startWorker = (host: Host) =>
    topo.start(host, [process.execPath, join(ROOT, 'dist/apps/worker/main.js')], env(host), join(dir, `${host.name}.log`));
  const startsOf = (expid: string) => recordedArgv(argvLog).filter((a) => a[0] === 'run' && a[1] === expid).length;

  beforeAll(async () => {
    writeFileSync(join(dir, 'runyard.yaml'), profilesYaml());
    writeFileSync(argvLog, '');
    chmodSync(argvLog, 0o666);
    mkdirSync(fakeState, { mode: 0o1777 });
    chmodSync(fakeState, 0o1777);
    topo = new Topology();
    [db, apiHost, w1, w2, w3, a1] = ['db', 'api', 'w1', 'w2', 'w3', 'a1'].map((n) => topo.add(n));
    // The engines on host db: Redis, and PostgreSQL listening on the host's address.
    topo.start(
      db,
      ['redis-server', '--bind', db.address, '--port', '6379', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      {},
      join(dir, 'redis.log'),
    );
    const data = join(postgresDir('runyard-hosts-pg-'), 'data');
    const onDb = (argv: string[]) => topo.argvOn(db, argv);
    pg('initdb', ['-D', data, '-A', 'trust', '-U', 'runyard', '--no-sync']);
    appendFileSync(
      join(data, 'postgresql.conf'),
      `listen_addresses = '${db.address}'\nport = 5432\nunix_socket_directories = ''\nfsync = off\n`,
    );
    appendFileSync(join(data, 'pg_hba.conf'), 'host all all 0.0.0.0/0 trust\n');
    pg('pg_ctl', ['-D', data, '-l', join(data, '..', 'server.log'), '-w', 'start'], 60_000, onDb);
    pg('psql', ['-h', db.address, '-U', 'runyard', '-d', 'postgres', '-qc', 'CREATE DATABASE runyard'], 60_000, onDb);
    topo.start(
      apiHost,
      [process.execPath, join(ROOT, 'dist/apps/api/main.js')],
      { ...env(apiHost), RUNYARD_ROLE: 'api' },
      join(dir, 'api.log'),
    );
    url = `http://${apiHost.address}:8080`;
    await eventually(async () => (await fetch(`${url}/health/ready`).catch(() => null))?.status === 200, 30_000, 'the API on its host');
  }, 120_000);
  afterAll(() => topo?.close());

  it('drains runs with workers on one, two and three hosts, each run executed exactly once', async () => {
    const figures: string[] = [];
    for (const [n, host, prefix] of [
      [1, w1, 'e'],
      [2, w2, 'f'],
      [3, w3, 'g'],
    ] as const) {
      startWorker(host);
      // Every worker of the round is up (its queue consumer logs so) before the clock starts.
      await eventually(
        async () => existsSync(join(dir, `${host.name}.log`)) && readFileSync(join(dir, `${host.name}.log`), 'utf8').includes('consuming'),
        30_000,
        `worker on ${host.name}`,
      );
      const started = Date.now();
      const ids: number[] = [];
      for (let i = 0; i < DRAIN; i += 10) {
        ids.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => submit(`${prefix}${String(i + j).padStart(3, '0')}`)))));
      }
      const runs = await Promise.all(ids.map((id) => finished(id, 60_000)));
      const seconds = (Date.now() - started) / 1000;
      expect(runs.filter((r) => r.status !== 'COMPLETED').map((r) => `${r.id} ${r.status}: ${r.detail}`)).toEqual([]);
      expect(runs.filter((r) => startsOf(r.expid) !== 1).map((r) => `${r.expid} started ${startsOf(r.expid)} times`)).toEqual([]);
      const perHost = new Map<string, number>();
      for (const r of runs) perHost.set(r.host, (perHost.get(r.host) ?? 0) + 1);
      figures.push(
        `${n} host${n > 1 ? 's' : ''}: ${(DRAIN / seconds).toFixed(0)} runs/s (${[...perHost].map(([h, c]) => `${h} ${c}`).join(', ')})`,
      );
    }
    console.log(`multi-host figures: ${DRAIN} runs submitted and drained, workers on 2 shared CPUs: ${figures.join('; ')}; every run once`);
  }, 180_000);

  it('a worker host cut off: the others go on; its run is marked LOST after three heartbeat windows, none runs twice, and it takes runs again once back', async () => {
    behave(rt, 'm001', { seconds: 25 });
    const long = await submit('m001');
    const active = await eventually(
      async () => {
        const r = await get(long);
        return r.status === 'ACTIVE' && r;
      },
      20_000,
      'the long run active',
    );
    const victim = topo.hosts.get(active.host)!;
    topo.cut(victim);
    const cutAt = Date.now();
    const during = [];
    for (let i = 0; i < 10; i++) during.push(await submit(`c${String(i).padStart(3, '0')}`));
    const done = await Promise.all(during.map((id) => finished(id)));
    expect(done.map((r) => `${r.status} ${r.host === victim.name ? 'on the cut-off host' : 'elsewhere'}`)).toEqual(
      during.map(() => 'COMPLETED elsewhere'),
    );
    const lost = await finished(long, 30_000);
    const lostAfter = Date.now() - cutAt;
    expect(lost.status).toBe('LOST');

    topo.restore(victim);
    await sleep(3000);
    // Final stays final: the host coming back does not rewrite it, and nothing ran twice.
    expect((await get(long)).status).toBe('LOST');
    expect([startsOf('m001'), ...during.map((_, i) => startsOf(`c${String(i).padStart(3, '0')}`))].every((n) => n === 1)).toBe(true);
    // Back on the network, it takes runs again.
    const after = [];
    for (let i = 0; i < 18; i++) after.push(await submit(`a${String(i).padStart(3, '0')}`));
    const ran = await Promise.all(after.map((id) => finished(id)));
    expect(ran.every((r) => r.status === 'COMPLETED')).toBe(true);
    console.log(
      `multi-host figures: ${victim.name} cut off with a run active: 10 runs submitted meanwhile all COMPLETED on the other hosts; the cut-off run LOST ${lostAfter} ms after the cut (${lost.detail}); ` +
        `after ${victim.name} came back: ${ran.filter((r) => r.host === victim.name).length} of 18 new runs on it; every run started once`,
    );
  }, 120_000);

  it('a worker host killed with a run active: the run is marked LOST, the other host goes on, nothing runs twice', async () => {
    behave(rt, 'k001', { seconds: 20 });
    const long = await submit('k001');
    const active = await eventually(
      async () => {
        const r = await get(long);
        return r.status === 'ACTIVE' && r;
      },
      20_000,
      'the run active',
    );
    const victim = topo.hosts.get(active.host)!;
    topo.kill(victim);
    const killedAt = Date.now();
    const others = [];
    for (let i = 0; i < 6; i++) others.push(await submit(`k1${String(i).padStart(2, '0')}`));
    const done = await Promise.all(others.map((id) => finished(id)));
    expect(done.map((r) => `${r.status} on ${r.host === victim.name ? 'the killed host' : 'the other'}`)).toEqual(
      others.map(() => 'COMPLETED on the other'),
    );
    const lost = await finished(long, 30_000);
    expect(lost.status).toBe('LOST');
    expect([startsOf('k001'), ...others.map((_, i) => startsOf(`k1${String(i).padStart(2, '0')}`))].every((n) => n === 1)).toBe(true);
    console.log(
      `multi-host figures: ${victim.name} killed with a run active: LOST ${Date.now() - killedAt} ms later; 6 runs meanwhile COMPLETED on the other hosts`,
    );
  }, 120_000);

  it('an agent host cut off for less than AGENT_LOST_AFTER_MS reconnects: its run goes on and ends with all its output, once, and a run sent to it meanwhile waits and runs once it is back', async () => {
    const registered = await api('POST', '/api/v1/agents', { id: 'a1', tags: ['edge'] });
    expect(registered.status).toBe(201);
    topo.start(
      a1,
      [process.execPath, join(ROOT, 'dist/apps/agent/main.js')],
      {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        RUNYARD_URL: url,
        RUNYARD_AGENT_ID: 'a1',
        RUNYARD_AGENT_SECRET: registered.body.secret,
        RUNYARD_AGENT_STATE_DIR: join(dir, 'agent-a1'),
      },
      join(dir, 'agent-a1.log'),
    );
    await eventually(async () => (await api('GET', '/api/v1/agents/a1')).body.status === 'online', 20_000, 'a1 online');
    const res = await api('POST', '/api/v1/scripts/run', {
      language: 'shell',
      code: 'for i in 1 2 3 4 5 6 7 8 9 10; do echo "line $i on $(hostname)"; sleep 1; done',
      agent: 'a1',
    });
    expect(res.status).toBe(202);
    const counting = res.body.id as number;
    await eventually(async () => (await get(counting)).status === 'ACTIVE', 20_000, 'the counting run active');
    await sleep(1500);
    topo.cut(a1);
    const cutAt = Date.now();
    // A run sent to it meanwhile waits for it (its launch is under way longer than LOST_AFTER_MS: it must not look abandoned).
    const sent = await api('POST', '/api/v1/scripts/run', {
      language: 'shell',
      code: 'echo "sent during the cut, ran on $(hostname)"',
      agent: 'a1',
    });
    expect(sent.status).toBe(202);
    await sleep(5000);
    const waiting = await get(sent.body.id);
    expect(`${waiting.status}: ${waiting.detail}`).toMatch(/^(QUEUED|STARTING)/);
    topo.restore(a1);
    const done = await finished(counting, 40_000);
    expect(`${done.status}: ${done.detail}`).toBe('COMPLETED: exit code 0');
    const log = (await api('GET', `/api/v1/runs/${counting}/logs`)).text;
    expect(log.trim().split('\n')).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i + 1} on a1`));
    const later = await finished(sent.body.id, 40_000);
    expect(`${later.status}: ${later.detail}`).toBe('COMPLETED: exit code 0');
    expect((await api('GET', `/api/v1/runs/${sent.body.id}/logs`)).text.trim()).toBe('sent during the cut, ran on a1');
    expect((await api('GET', '/api/v1/agents/a1')).body.status).toBe('online');
    console.log(
      `multi-host figures: agent a1 cut off 5 s with a run active: the run COMPLETED with its 10 lines, each once; the run sent during the cut waited ${waiting.status} and COMPLETED on a1 ${Date.now() - cutAt} ms after the cut`,
    );
  }, 120_000);
});
