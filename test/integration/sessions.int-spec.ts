import { randomUUID } from 'node:crypto';
import {
  CallResult,
  CommittedResults,
  FencedError,
  RefusedResultsError,
  SessionsRepository,
} from '../../libs/sessions/src/sessions.repository';
import type { ExecutorIdentity } from '../../libs/sessions/src/sdk-types';
import { SdkSignals } from '../../libs/sessions/src/sdk-signals';
import { SessionsService } from '../../libs/sessions/src/sessions.service';
import { ExecutorService } from '../../libs/sessions/src/executor.service';
import { BadInputError } from '../../libs/runs/src';
import { engineDatabase } from './support/engine';

/** The Runner SDK's rows against a real Postgres: call order, dependencies, state commits guarded against a replaced executor. */
describe('Runner SDK sessions in Postgres', () => {
  let db: Awaited<ReturnType<typeof engineDatabase>>;
  let repo: SessionsRepository;

  beforeAll(async () => {
    db = await engineDatabase();
    repo = new SessionsRepository(db.app);
    await repo.addPackage('a'.repeat(64), 10);
    await repo.insertApplication(
      { name: 'app', packageSha: 'a'.repeat(64), runtime: 'python', profileName: 'LOCAL', workdir: null, createdBy: 'spec' },
      60_000,
    );
  });
  afterAll(() => db?.close());

  async function session(ordered: boolean): Promise<{ id: number; executor: ExecutorIdentity }> {
    const s = await repo.insertSession({
      application: 'app',
      kind: ordered ? 'instance' : 'function',
      ordered,
      replicas: 1,
      createdBy: 'spec',
      service: (id) => ({ codec: 'cloudpickle', methods: ['add'], serviceKey: `app/${id}/service` }),
      serviceObject: { codec: 'cloudpickle', size: 1, bytes: { inline: Buffer.from('s') } },
      executors: [],
    });
    const executor = await newExecutor(s.id, ordered);
    return { id: s.id, executor };
  }

  async function newExecutor(sessionId: number, ordered: boolean): Promise<ExecutorIdentity> {
    const id = randomUUID();
    await repo.insertExecutor(id, sessionId, 'b'.repeat(64), ordered);
    return { id, sessionId, application: 'app', ordered };
  }

  const call = (sessionId: number, refs: string[] = []) => {
    const uuid = randomUUID().replace(/-/g, '');
    return { method: 'add', args: Buffer.from('x'), argsKey: null, refs, resultKey: `app/${sessionId}/${uuid}` };
  };
  const ok = (callId: number, text: string): CallResult => ({
    callId,
    ok: true,
    codec: 'cloudpickle',
    size: text.length,
    bytes: { inline: Buffer.from(text) },
  });
  const state = (version: number) => ({ version, codec: 'cloudpickle' as const, size: 1, bytes: { inline: Buffer.from(String(version)) } });

  it('creates a session with its executors in one step: the reaper never finds it short of one and starts a second', async () => {
    const executors = [1, 2].map(() => ({ id: randomUUID(), tokenSha256: 'c'.repeat(64) }));
    const s = await repo.insertSession({
      application: 'app',
      kind: 'function',
      ordered: false,
      replicas: 2,
      createdBy: 'spec',
      service: (id) => ({ codec: 'cloudpickle', methods: ['add'], serviceKey: `app/${id}/service` }),
      serviceObject: null,
      executors,
    });
    expect((await repo.sessionsShortOfExecutors()).map((x) => x.id)).not.toContain(s.id);
    const live = (await repo.liveExecutors()).filter((e) => e.sessionId === s.id);
    expect(live.map((e) => e.id).sort()).toEqual(executors.map((e) => e.id).sort());
    expect(live.every((e) => e.runId === null)).toBe(true);
  });

  it('numbers calls submitted concurrently by several clients in one sequence, and hands them out in it', async () => {
    const { id, executor } = await session(true);
    const batches = await Promise.all(Array.from({ length: 8 }, () => repo.submitCalls(id, 'app', [call(id), call(id), call(id)], 'spec')));
    const seqs = batches.flatMap((b) => b!.map((c) => c.seq)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    for (const b of batches) expect(b!.map((c) => c.seq)).toEqual([b![0].seq, b![0].seq + 1, b![0].seq + 2]);
    const { calls } = await repo.claimCalls(executor, 100);
    expect(calls.map((c) => c.seq)).toEqual(seqs);
  });

  it('never lets an ordered call overtake one waiting for its argument; a stateless one may', async () => {
    for (const ordered of [true, false]) {
      const { id, executor } = await session(ordered);
      const [producer] = (await repo.submitCalls(id, 'app', [call(id)], 'spec'))!;
      const first = await repo.claimCalls(executor, 1);
      expect(first.calls.map((c) => c.resultKey)).toEqual([producer.key]);
      await repo.submitCalls(id, 'app', [call(id, [producer.key]), call(id)], 'spec');
      const next = await repo.claimCalls(executor, 10);
      expect(next.calls.map((c) => c.seq)).toEqual(ordered ? [] : [3]);
    }
  });

  it('fails a call whose argument failed, with the reason', async () => {
    const { id, executor } = await session(false);
    const [producer] = (await repo.submitCalls(id, 'app', [call(id)], 'spec'))!;
    const [claimed] = (await repo.claimCalls(executor, 1)).calls;
    await repo.commitResults(executor, [{ callId: claimed.id, ok: false, error: { type: 'ValueError', message: 'bad input' } }], null);
    const [dependent] = (await repo.submitCalls(id, 'app', [call(id, [producer.key])], 'spec'))!;
    expect((await repo.claimCalls(executor, 10)).calls).toEqual([]);
    expect(await repo.object(dependent.key)).toMatchObject({
      state: 'failed',
      error: { type: 'DependencyFailedError', message: `argument ${producer.key} failed: ValueError: bad input` },
    });
  });

  it('commits results and state together; the same commit sent twice lands once; a replaced executor commits nothing', async () => {
    const { id, executor } = await session(true);
    await repo.submitCalls(id, 'app', [call(id), call(id)], 'spec');
    const [a, b] = (await repo.claimCalls(executor, 10)).calls;
    await repo.commitResults(executor, [ok(a.id, 'one')], state(1));
    await repo.commitResults(executor, [ok(a.id, 'one')], state(1));
    expect((await repo.session(id))!.stateVersion).toBe(1);
    expect((await repo.object(a.resultKey))!.version).toBe(1);

    // The executor vanishes while running b: b goes back to pending, and a new executor takes it from state 1.
    await repo.retireExecutor(executor.id, 3, { type: 'ExecutorLostError', message: 'gone' }, 'run ended LOST');
    await expect(repo.commitResults(executor, [ok(b.id, 'late')], state(2))).rejects.toBeInstanceOf(FencedError);
    const successor = await newExecutor(id, true);
    const [again] = (await repo.claimCalls(successor, 10)).calls;
    expect({ id: again.id, attempt: again.attempt }).toEqual({ id: b.id, attempt: 1 });
    await repo.commitResults(successor, [ok(b.id, 'two')], state(2));
    expect(await repo.object(`app/${id}/state`)).toMatchObject({ version: 2, inline: Buffer.from('2') });
    expect((await repo.object(b.resultKey))!.inline).toEqual(Buffer.from('two'));
  });

  it("refuses a whole exchange naming another executor's calls, storing nothing; its own commit sent again still lands once", async () => {
    const victim = await session(false);
    const [first, second] = (await repo.submitCalls(victim.id, 'app', [call(victim.id), call(victim.id)], 'spec'))!;
    const [held] = (await repo.claimCalls(victim.executor, 1)).calls;
    expect(held.resultKey).toBe(first.key);
    const [heldId, pendingId] = [held.id, held.id + 1]; // the second call, still pending
    for (const ordered of [false, true]) {
      const attacker = await session(ordered);
      await repo.submitCalls(attacker.id, 'app', [call(attacker.id)], 'spec');
      const [own] = (await repo.claimCalls(attacker.executor, 1)).calls;
      const forged = [ok(own.id, 'mine'), ok(heldId, 'forged'), ok(pendingId, 'forged')];
      await expect(repo.commitResults(attacker.executor, forged, ordered ? state(1) : null)).rejects.toThrow(
        new RefusedResultsError(`calls ${heldId}, ${pendingId} were not handed to this executor: nothing of this exchange was stored`),
      );
      expect(await repo.object(own.resultKey)).toMatchObject({ state: 'pending', version: 0 });
      expect((await repo.session(attacker.id))!.stateVersion).toBe(0);
    }
    expect(await repo.object(first.key)).toMatchObject({ state: 'pending', version: 0, inline: null });
    expect(await repo.object(second.key)).toMatchObject({ state: 'pending', version: 0, inline: null });
    await expect(repo.commitResults(victim.executor, [ok(heldId, 'true'), ok(heldId, 'true')], null)).rejects.toBeInstanceOf(
      RefusedResultsError,
    );
    // The victim's executor reports its call, twice (the first answer lost): it lands once, with the true bytes.
    await repo.commitResults(victim.executor, [ok(heldId, 'true')], null);
    await repo.commitResults(victim.executor, [ok(heldId, 'true')], null);
    expect(await repo.object(first.key)).toMatchObject({ state: 'ready', version: 1, inline: Buffer.from('true') });
  });

  it('commits in one statement only what the transaction would: never part of a forged exchange, never for a replaced executor', async () => {
    const victim = await session(false);
    const [first] = (await repo.submitCalls(victim.id, 'app', [call(victim.id)], 'spec'))!;
    const [held] = (await repo.claimCalls(victim.executor, 1)).calls;
    const attacker = await session(false);
    const [mine] = (await repo.submitCalls(attacker.id, 'app', [call(attacker.id)], 'spec'))!;
    const [own] = (await repo.claimCalls(attacker.executor, 1)).calls;
    // Another executor's call in the exchange: nothing of it is written, its own call included.
    expect(await repo.commitPlain(attacker.executor, [ok(own.id, 'mine'), ok(held.id, 'forged')], null)).toBeNull();
    expect(await repo.object(mine.key)).toMatchObject({ state: 'pending', version: 0 });
    expect(await repo.object(first.key)).toMatchObject({ state: 'pending', version: 0, inline: null });
    // Its own calls only: committed, the session's status answered; the same commit again is the transaction's to decide.
    expect(await repo.commitPlain(attacker.executor, [ok(own.id, 'mine')], null)).toMatchObject({ committed: { status: 'open' } });
    expect(await repo.object(mine.key)).toMatchObject({ state: 'ready', version: 1, inline: Buffer.from('mine') });
    expect(await repo.commitPlain(attacker.executor, [ok(own.id, 'mine')], null)).toBeNull();
    expect(await repo.object(mine.key)).toMatchObject({ version: 1 });
    // A replaced executor: nothing written, its call goes to the successor.
    await repo.retireExecutor(victim.executor.id, 3, { type: 'ExecutorLostError', message: 'gone' }, 'run ended LOST');
    expect(await repo.commitPlain(victim.executor, [ok(held.id, 'late')], null)).toBeNull();
    expect(await repo.object(first.key)).toMatchObject({ state: 'pending', version: 0, inline: null });
  });

  it('commits an ordered call with its state in one statement only from the stored version, and only for the executor serving', async () => {
    const { id, executor } = await session(true);
    const [a, b] = (await repo.submitCalls(id, 'app', [call(id), call(id)], 'spec'))!;
    const [first] = (await repo.claimCalls(executor, 1)).calls;
    // A state that does not follow the stored one (version 0): nothing written.
    expect(await repo.commitPlain(executor, [ok(first.id, 'one')], state(2))).toBeNull();
    expect(await repo.object(a.key)).toMatchObject({ state: 'pending', version: 0 });
    expect((await repo.session(id))!.stateVersion).toBe(0);
    // The second call still waits: the executor claims it next (with none pending it would wait instead). The clients
    // waiting in this process are handed the call as they would read it.
    expect(await repo.commitPlain(executor, [ok(first.id, 'one')], state(1))).toEqual({
      pending: true,
      committed: new CommittedResults('open', null, [
        { seq: a.seq, key: a.key, state: 'ready', codec: 'cloudpickle', size: 3, version: 1, inline: Buffer.from('one'), error: null },
      ]),
    });
    expect(await repo.finishedCalls(id, { ranges: [[a.seq, a.seq]], keys: [] }, 1024, 10)).toMatchObject({
      results: [
        { seq: a.seq, key: a.key, state: 'ready', codec: 'cloudpickle', size: 3, version: 1, inline: Buffer.from('one'), error: null },
      ],
    });
    expect(await repo.object(a.key)).toMatchObject({ state: 'ready', inline: Buffer.from('one') });
    expect(await repo.object(`app/${id}/state`)).toMatchObject({ version: 1, inline: Buffer.from('1') });
    // Sent again (its answer lost): the transaction's to decide, nothing written twice.
    expect(await repo.commitPlain(executor, [ok(first.id, 'one')], state(1))).toBeNull();
    const [second] = (await repo.claimCalls(executor, 1)).calls;
    expect(second.resultKey).toBe(b.key);
    // Its executor replaced while it ran: neither the result nor the state lands.
    await repo.retireExecutor(executor.id, 3, { type: 'ExecutorLostError', message: 'gone' }, 'run ended LOST');
    const successor = await newExecutor(id, true);
    expect(await repo.commitPlain(executor, [ok(second.id, 'late')], state(2))).toBeNull();
    expect(await repo.object(`app/${id}/state`)).toMatchObject({ version: 1 });
    const [again] = (await repo.claimCalls(successor, 1)).calls;
    expect(await repo.commitPlain(successor, [ok(again.id, 'two')], state(2))).toMatchObject({
      pending: false,
      committed: { status: 'open', detail: 'run ended LOST', finished: [{ key: b.key, version: 1 }] },
    });
    expect(await repo.object(`app/${id}/state`)).toMatchObject({ version: 2, inline: Buffer.from('2') });
    expect(await repo.object(b.key)).toMatchObject({ state: 'ready', inline: Buffer.from('two') });
  });

  it('fails a call that took its executor down as often as allowed instead of trying it again', async () => {
    const { id, executor } = await session(true);
    const [c] = (await repo.submitCalls(id, 'app', [call(id)], 'spec'))!;
    let current = executor;
    for (let attempt = 0; attempt < 2; attempt++) {
      expect((await repo.claimCalls(current, 1)).calls).toHaveLength(1);
      await repo.retireExecutor(current.id, 2, { type: 'ExecutorLostError', message: 'vanished twice' }, null);
      current = await newExecutor(id, true);
    }
    expect(await repo.object(c.key)).toMatchObject({ state: 'failed', error: { type: 'ExecutorLostError' } });
  });

  it("answers a client's wait with the session's status as it is when the results land, not as it was when their commit began", async () => {
    // Wake-ups in this process only: Postgres's notifications are handed over by the spec, when it says they arrive.
    const signals = new SdkSignals('postgres://postgres@127.0.0.1:1/nowhere');
    const sessions = new SessionsService(repo, ...([undefined, undefined, undefined, undefined] as never[]), signals, undefined as never);
    const executors = new ExecutorService(repo, sessions, ...([undefined, undefined, undefined] as never[]), signals);
    const blocker = db.direct.createQueryRunner();
    try {
      const { id, executor } = await session(false);
      const [c] = (await repo.submitCalls(id, 'app', [call(id)], 'spec'))!;
      const [running] = (await repo.claimCalls(executor, 1)).calls;
      // The client waits for the call.
      const answer = sessions.finished(id, { ranges: [[c.seq, c.seq]], ids: [] }, 20_000);
      // The executor's commit starts, and waits for a moment on its executor's row (as behind any lock)...
      await blocker.connect();
      await blocker.startTransaction();
      await blocker.query(`SELECT 1 FROM sdk_executors WHERE id = $1 FOR UPDATE`, [executor.id]);
      const exchanged = executors.exchange(executor, {
        results: [{ call: running.id, ok: true, codec: 'cloudpickle', data: Buffer.from('late') }],
        max: 0,
        waitMs: 0,
      });
      for (let i = 0; i < 100; i++) {
        const [w] = await db.direct.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%WITH ex AS%'`,
        );
        if (w.n > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // ...while the owner closes the session (the running call goes on), and the waiting client looks again and sees it closed.
      expect(await repo.endSession(id, 'closed', 'closed by spec', { type: 'SessionClosedError', message: 'closed' })).toBe(true);
      signals.wake(`r ${id}`); // the close's notification
      await new Promise((r) => setTimeout(r, 300));
      await blocker.commitTransaction();
      await exchanged;
      expect((await repo.session(id))!.status).toBe('closed');
      // The results were committed after the close: the answer says the session is closed, with the close's words.
      expect(await answer).toMatchObject({
        status: 'closed',
        detail: 'closed by spec',
        results: [{ seq: c.seq, state: 'ready', inline: Buffer.from('late') }],
      });
    } finally {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction();
      await blocker.release();
      signals.beforeApplicationShutdown();
      await signals.onApplicationShutdown();
    }
  });

  // A result's key is `{app}/{session}/{id}`: for the id `state` that is an ordered session's state object, so its commit
  // (the call with the state after it) failed in the one statement on every try, or one overwrote the other.
  it("refuses a call whose id names one of the session's own objects (its state, its service)", async () => {
    const sessions = new SessionsService(
      repo,
      ...([undefined, undefined, undefined, undefined] as never[]),
      {} as SdkSignals,
      undefined as never,
    );
    const { id } = await session(true);
    for (const name of ['state', 'service']) {
      await expect(
        sessions.submit(id, [{ id: name, method: 'add', args: Buffer.from('x'), refs: [] }], { name: 'spec', admin: false }),
      ).rejects.toThrow(new BadInputError(`calls[0].id "${name}" names the session's ${name}: choose another id`));
    }
    expect((await repo.calls(id, -1, 10)).length).toBe(0);
  });

  it('cancels pending calls when the session closes, their results failing with the reason', async () => {
    const { id } = await session(true);
    const [c] = (await repo.submitCalls(id, 'app', [call(id)], 'spec'))!;
    expect(await repo.endSession(id, 'closed', 'closed by spec', { type: 'SessionClosedError', message: 'closed first' })).toBe(true);
    expect(await repo.object(c.key)).toMatchObject({ state: 'failed', error: { type: 'SessionClosedError' } });
    expect(await repo.submitCalls(id, 'app', [call(id)], 'spec')).toBeNull();
  });
});
