import { recordedArgv } from './support/argv-log';
import { behave } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { RedisClusterSet, RedisSentinelSet } from './support/redis-ha';
import { profilesYaml, RunyardUnderTest, startRunyard } from './support/runyard';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DRAIN = 200;

/** How many times the stand-in autosubmit was started for `run EXPID`, per experiment. */
function startsPerExpid(argvLog: string): Map<string, number> {
  const starts = new Map<string, number>();
  for (const argv of recordedArgv(argvLog)) if (argv[0] === 'run') starts.set(argv[1], (starts.get(argv[1]) ?? 0) + 1);
  return starts;
}

/**
 * Redis as production deploys it for availability: a primary, a replica and three Sentinels, on
 * servers of the test's own. The primary is killed in the middle of a drain and of a long run.
 */
describe('Redis with Sentinel: the primary fails over', () => {
  let redis: RedisSentinelSet;
  let rt: RunyardUnderTest;
  const get = async (id: number) => (await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body;
  const completed = async () => (await call(rt.url, 'GET', '/api/v1/runs?status=COMPLETED&limit=1')).body.total as number;

  beforeAll(async () => {
    redis = await new RedisSentinelSet().start();
    rt = await startRunyard({ config: profilesYaml(), redisVia: () => redis.url, env: { REQUEUE_AFTER_MS: '1000' } });
  });
  afterAll(async () => {
    await rt?.close();
    redis?.close();
  });

  it('runs every run of a drain and a long run exactly once to its true end; the API answers 503 during the switch, never 500, and recovers by itself', async () => {
    behave(rt, 'hl01', { seconds: 12 });
    const long = (await call(rt.url, 'POST', '/api/v1/runs', { expid: 'hl01', profile_name: 'LOCAL_NO_MODULE' })).body.id as number;
    await eventually(async () => (await get(long)).status === 'ACTIVE', 15_000, 'the long run active');

    const drain: number[] = [];
    for (let i = 0; i < DRAIN; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          call(rt.url, 'POST', '/api/v1/runs', { expid: `d${String(i + j).padStart(3, '0')}`, profile_name: 'LOCAL_NO_MODULE' }),
        ),
      );
      for (const r of batch) {
        expect(r.status).toBe(202);
        drain.push(r.body.id);
      }
    }
    await eventually(async () => (await completed()) >= 20, 30_000, 'the drain under way');

    const before = redis.primaryPort();
    redis.primary().kill();
    const killedAt = Date.now();
    const completedAtKill = await completed();

    // During the switch: every answer is an answer (503 while the queue is away), never a 500.
    const probes: { at: number; status: number; path: string; id?: number; expid?: string }[] = [];
    for (let i = 0; Date.now() - killedAt < 10_000; i++) {
      const expid = `p${String(i).padStart(3, '0')}`;
      const post = await call(rt.url, 'POST', '/api/v1/runs', { expid, profile_name: 'LOCAL_NO_MODULE' });
      probes.push({
        at: Date.now() - killedAt,
        status: post.status,
        path: 'POST /api/v1/runs',
        id: post.body.id ?? post.body.run_id,
        expid,
      });
      const ready = await call(rt.url, 'GET', '/health/ready');
      probes.push({ at: Date.now() - killedAt, status: ready.status, path: 'GET /health/ready' });
      await sleep(250);
    }
    expect(probes.filter((p) => p.status >= 500 && p.status !== 503)).toEqual([]);
    expect(redis.primaryPort()).not.toBe(before);
    // Recovered by itself: the last probes were accepted.
    expect(probes.slice(-2).map((p) => p.status)).toEqual([202, 200]);

    for (const id of [...drain, long]) {
      await eventually(
        async () => {
          const run = await get(id);
          return ['COMPLETED', 'FAILED', 'TERMINATED', 'LOST'].includes(run.status) && run;
        },
        60_000,
        `run ${id} finished`,
      );
    }
    const finished = await Promise.all([...drain, long].map(get));
    expect(finished.filter((r) => r.status !== 'COMPLETED').map((r) => `${r.id} ${r.status}: ${r.detail}`)).toEqual([]);
    const starts = startsPerExpid(rt.argvLog);
    expect(finished.filter((r) => starts.get(r.expid) !== 1).map((r) => `${r.expid} started ${starts.get(r.expid) ?? 0} times`)).toEqual(
      [],
    );
    // A probe accepted runs once; one refused (503) never runs.
    const accepted = probes.filter((p) => p.expid && p.status === 202);
    const refused = probes.filter((p) => p.expid && p.status === 503);
    for (const p of accepted) await eventually(async () => (await get(p.id!)).status === 'COMPLETED', 30_000, `probe ${p.expid} completed`);
    for (const p of accepted) expect(`${p.expid} ${starts.get(p.expid!) ?? startsPerExpid(rt.argvLog).get(p.expid!)}`).toBe(`${p.expid} 1`);
    for (const p of refused) expect(`${p.expid} ${startsPerExpid(rt.argvLog).get(p.expid!) ?? 0}`).toBe(`${p.expid} 0`);

    const unavailable = probes.filter((p) => p.status === 503);
    const window = unavailable.length ? `${unavailable[0].at}–${unavailable.at(-1)!.at} ms after the kill` : 'none';
    console.log(
      `Redis Sentinel failover figures: primary ${before} killed with ${completedAtKill}/${DRAIN} drained and a 12 s run active; ` +
        `503 answers ${unavailable.length} of ${probes.length} (${window}); no 500; ` +
        `${accepted.length} probe runs accepted, ${refused.length} refused; every run COMPLETED, each started once`,
    );
  });
});

describe('Redis Cluster', () => {
  let redis: RedisClusterSet;
  let rt: RunyardUnderTest;

  beforeAll(async () => {
    redis = await new RedisClusterSet().start();
    rt = await startRunyard({ config: profilesYaml(), redisVia: () => redis.url });
  });
  afterAll(async () => {
    await rt?.close();
    redis?.close();
  });

  it("runs on a three-node cluster, every queue's keys in one hash slot under the {prefix} tag", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await call(rt.url, 'POST', '/api/v1/runs', { expid: `hc${String(i).padStart(2, '0')}`, profile_name: 'LOCAL_NO_MODULE' });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    for (const id of ids) {
      await eventually(async () => (await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body.status === 'COMPLETED', 30_000, `run ${id}`);
    }
    // BullMQ's keys all carry the hash tag, so they sit on one node.
    const prefix = rt.env.QUEUE_PREFIX;
    const perNode = redis.keysPerNode(`{${prefix}}:*`);
    expect(perNode.filter((n) => n > 0)).toHaveLength(1);
    expect(redis.keysPerNode(`${prefix}:*`)).toEqual([0, 0, 0]);
  });
});
