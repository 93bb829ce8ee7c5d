import { recordedArgv } from './support/argv-log';
import { behave } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { PostgresPair } from './support/postgres-ha';
import { profilesYaml, RunyardUnderTest, startRunyard } from './support/runyard';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FINAL = ['COMPLETED', 'FAILED', 'TERMINATED', 'LOST'];

/**
 * PostgreSQL with a synchronous standby, of the test's own; DATABASE_URL names both hosts with
 * target_session_attrs=read-write. The primary stops in a crash while runs are active and queued; the
 * standby is promoted a few seconds later.
 */
describe('PostgreSQL failover to a promoted standby', () => {
  let pair: PostgresPair;
  let rt: RunyardUnderTest;
  const get = async (id: number) => (await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body;

  beforeAll(async () => {
    pair = await new PostgresPair().start();
    rt = await startRunyard({ config: profilesYaml(), env: { DATABASE_URL: pair.url, REQUEUE_AFTER_MS: '1000' } });
  }, 120_000);
  afterAll(async () => {
    await rt?.close();
    pair?.close();
  });

  it('loses nothing acknowledged, leaves no run stuck, answers 503 (never 500) while there is no primary, and recovers by itself', async () => {
    const acknowledged: { id: number; expid: string }[] = [];
    const submit = async (expid: string) => {
      const res = await call(rt.url, 'POST', '/api/v1/runs', { expid, profile_name: 'LOCAL_NO_MODULE' });
      if (res.status === 202) acknowledged.push({ id: res.body.id, expid });
      return res.status;
    };
    for (const [expid, seconds] of [
      ['f001', 10],
      ['f002', 4],
    ] as const) {
      behave(rt, expid, { seconds });
      expect(await submit(expid)).toBe(202);
    }
    await eventually(
      async () => (await Promise.all(acknowledged.map((r) => get(r.id)))).every((r) => r.status === 'ACTIVE'),
      15_000,
      'active',
    );
    for (let i = 0; i < 40; i++) expect(await submit(`q${String(i).padStart(3, '0')}`)).toBe(202);

    pair.stopPrimary();
    const stoppedAt = Date.now();
    const probes: { at: number; status: number; what: string }[] = [];
    let promotedAt = 0;
    for (let i = 0; Date.now() - stoppedAt < 12_000; i++) {
      if (!promotedAt && Date.now() - stoppedAt > 4000) {
        pair.promoteStandby();
        promotedAt = Date.now() - stoppedAt;
      }
      probes.push({ at: Date.now() - stoppedAt, status: await submit(`p${String(i).padStart(3, '0')}`), what: 'POST /api/v1/runs' });
      probes.push({
        at: Date.now() - stoppedAt,
        status: (await call(rt.url, 'GET', `/api/v1/runs/${acknowledged[0].id}`)).status,
        what: 'GET run',
      });
      await sleep(300);
    }
    expect(probes.filter((p) => p.status !== 503 && p.status >= 500)).toEqual([]);
    expect(probes.filter((p) => p.at < promotedAt - 500).map((p) => p.status)).toContain(503);
    // Recovered by itself on the promoted standby.
    expect(probes.slice(-2).map((p) => p.status)).toEqual([202, 200]);
    expect(pair.sql(1, 'SELECT pg_is_in_recovery()')).toBe('f');

    // Every acknowledged run is there and ends truthfully; each started at most once.
    for (const r of acknowledged) {
      let last: Record<string, unknown> = {};
      await eventually(
        async () => FINAL.includes((last = await get(r.id)).status as string),
        60_000,
        `run ${r.id} (${r.expid}) finished`,
      ).catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(last)}`);
      });
    }
    const runs = await Promise.all(acknowledged.map((r) => get(r.id)));
    expect(runs.map((r) => r.id)).toEqual(acknowledged.map((r) => r.id));
    const starts = new Map<string, number>();
    for (const argv of recordedArgv(rt.argvLog)) if (argv[0] === 'run') starts.set(argv[1], (starts.get(argv[1]) ?? 0) + 1);
    expect(runs.filter((r) => (starts.get(r.expid) ?? 0) > 1).map((r) => `${r.expid} started ${starts.get(r.expid)} times`)).toEqual([]);
    expect(runs.filter((r) => r.status !== 'COMPLETED').map((r) => `${r.id} ${r.expid} ${r.status}: ${r.detail}`)).toEqual([]);

    const unavailable = probes.filter((p) => p.status === 503);
    console.log(
      `PostgreSQL failover figures: primary stopped (immediate) with 2 runs active and 40 queued, standby promoted ${promotedAt} ms later; ` +
        `503 answers ${unavailable.length} of ${probes.length} (${unavailable[0]?.at ?? '-'}–${unavailable.at(-1)?.at ?? '-'} ms after the stop), no 500; ` +
        `${acknowledged.length} runs acknowledged, all there and COMPLETED, none started twice`,
    );
  }, 180_000);
});
