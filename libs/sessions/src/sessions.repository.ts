import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { SdkRuntime } from '@runyard/config';
import { poolRows, poolTransaction, Statements } from '@runyard/persistence';
import type { RunStatus } from '@runyard/persistence';
import { returnedRows } from '@runyard/runs';
import { defaultSessionName } from './sdk-names';
import type {
  Application,
  ClaimedCall,
  Codec,
  Executor,
  ExecutorIdentity,
  ObjectBytes,
  RemoteErrorInfo,
  ServiceDescriptor,
  Session,
  SessionKind,
  SessionStatus,
  StoredObject,
} from './sdk-types';

/** The channel of the SDK's wake-ups: `c <session>` (calls or status for its executors), `r <session>` (results for its clients). */
export const SDK_CHANNEL = 'runyard_sdk';

export interface NewCall {
  method: string;
  args: Buffer | null;
  argsKey: string | null;
  refs: string[];
  resultKey: string;
}

/** An executor's outcome of one call. */
export type CallResult =
  { callId: number; ok: true; codec: Codec; size: number; bytes: ObjectBytes } | { callId: number; ok: false; error: RemoteErrorInfo };

export interface StateSnapshot {
  version: number;
  codec: Codec;
  size: number;
  bytes: ObjectBytes;
}

/** A finished call as its client reads it. */
export interface FinishedCall {
  seq: number;
  key: string;
  state: 'ready' | 'failed';
  codec: Codec | null;
  size: number | null;
  version: number;
  /** The bytes when they are in the row and small enough to answer inline. */
  inline: Buffer | null;
  error: RemoteErrorInfo | null;
}

/**
 * What an executor's commit finished, as its clients read it: handed over in this process to the clients
 * waiting for those calls, it spares them a look at the rows.
 */
export class CommittedResults {
  constructor(
    /** The session's status and detail when it committed. */
    readonly status: SessionStatus,
    readonly detail: string | null,
    readonly finished: FinishedCall[],
  ) {}
}

/** A call as its session's owner reads it back (Flame's task): what was asked and where its result is. */
export interface CallRecord {
  seq: number;
  method: string;
  state: string;
  /** The pickled (or v8) arguments, when they travelled inline; else `argsKey` names the object holding them. */
  args: Buffer | null;
  argsKey: string | null;
  refs: string[];
  resultKey: string;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface ApplicationSummary extends Application {
  packageSize: number;
  openSessions: number;
}

export interface SessionSummary extends Session {
  calls: number;
  finishedCalls: number;
  runIds: number[];
}

/** An executor that has not been retired, with its session's status. */
export interface LiveExecutor extends Executor {
  sessionStatus: SessionStatus;
  closedAt: Date | null;
}

/** What an executor's credential is checked against on every request. */
export interface ExecutorCredentialRow extends ExecutorIdentity {
  tokenSha256: string;
  status: Executor['status'];
  /** Null between the executor's row and its run's (the launch). */
  runId: number | null;
  runStatus: RunStatus | null;
  sessionStatus: SessionStatus;
  /** It runs calls it has not reported yet. */
  holding: boolean;
}

/** The executor was replaced or its session is gone: its claims and commits are refused. */
export class FencedError extends Error {}

/** An exchange reported calls its executor was never handed (or one twice): the whole exchange is refused. */
export class RefusedResultsError extends Error {}

const FK_VIOLATION = '23503';

/** Every statement on the sdk_* tables. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly db: DataSource) {}

  // --- packages ---

  async packageSize(sha: string): Promise<number | null> {
    const [row]: { size: string }[] = await this.db.query(`SELECT size FROM sdk_packages WHERE sha256 = $1`, [sha]);
    return row ? Number(row.size) : null;
  }

  async addPackage(sha: string, size: number): Promise<void> {
    await this.db.query(`INSERT INTO sdk_packages (sha256, size) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING`, [sha, size]);
  }

  /** Deletes the package when no application uses it; false when one does (or registers on it meanwhile). */
  async removePackageIfUnused(sha: string): Promise<boolean> {
    try {
      const rows = returnedRows(
        await this.db.query(
          `DELETE FROM sdk_packages p WHERE sha256 = $1 AND NOT EXISTS (SELECT 1 FROM sdk_applications a WHERE a.package_sha = p.sha256)
           RETURNING sha256`,
          [sha],
        ),
      );
      return rows.length > 0;
    } catch (e) {
      if ((e as { code?: string }).code === FK_VIOLATION) return false;
      throw e;
    }
  }

  /** Uploaded, never registered on (a client that died in between), for longer than `secs`. */
  async unusedPackages(olderThanSecs: number): Promise<string[]> {
    const rows: { sha256: string }[] = await this.db.query(
      `SELECT sha256 FROM sdk_packages p
        WHERE created_at < now() - make_interval(secs => $1)
          AND NOT EXISTS (SELECT 1 FROM sdk_applications a WHERE a.package_sha = p.sha256)`,
      [olderThanSecs],
    );
    return rows.map((r) => r.sha256);
  }

  // --- applications ---

  async insertApplication(
    app: Pick<Application, 'name' | 'packageSha' | 'runtime' | 'profileName' | 'workdir' | 'createdBy'>,
    leaseMs: number,
  ): Promise<Application> {
    const [row] = await this.db.query(
      `INSERT INTO sdk_applications (name, package_sha, runtime, profile_name, workdir, created_by, lease_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7)) RETURNING *`,
      [app.name, app.packageSha, app.runtime, app.profileName, app.workdir, app.createdBy, leaseMs / 1000],
    );
    return toApplication(row);
  }

  async application(name: string): Promise<Application | null> {
    const [row] = await this.db.query(`SELECT * FROM sdk_applications WHERE name = $1`, [name]);
    return row ? toApplication(row) : null;
  }

  /** Every application (or the one named), with its package's size and its open sessions. */
  async applications(name?: string): Promise<ApplicationSummary[]> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT a.*, p.size AS package_size,
              (SELECT count(*) FROM sdk_sessions s WHERE s.application = a.name AND s.status = 'open') AS open_sessions
         FROM sdk_applications a JOIN sdk_packages p ON p.sha256 = a.package_sha
        WHERE $1::text IS NULL OR a.name = $1 ORDER BY a.name`,
      [name ?? null],
    );
    return rows.map((r) => ({ ...toApplication(r), packageSize: Number(r.package_size), openSessions: Number(r.open_sessions) }));
  }

  /** The lease moves on; null when the application is gone. */
  async renewLease(name: string, leaseMs: number): Promise<Date | null> {
    const [row] = returnedRows<{ lease_expires_at: Date }>(
      await this.db.query(
        `UPDATE sdk_applications SET lease_expires_at = now() + make_interval(secs => $2) WHERE name = $1 RETURNING lease_expires_at`,
        [name, leaseMs / 1000],
      ),
    );
    return row?.lease_expires_at ?? null;
  }

  /** Every lease runs at least leaseMs from now: clients could not renew while no API answered them. */
  async extendLeases(leaseMs: number): Promise<void> {
    await this.db.query(
      `UPDATE sdk_applications SET lease_expires_at = now() + make_interval(secs => $1)
        WHERE lease_expires_at < now() + make_interval(secs => $1)`,
      [leaseMs / 1000],
    );
  }

  async expiredApplications(): Promise<string[]> {
    const rows: { name: string }[] = await this.db.query(`SELECT name FROM sdk_applications WHERE lease_expires_at < now() ORDER BY name`);
    return rows.map((r) => r.name);
  }

  /** Unregisters (its sessions, executors and calls go with it); answers its package, or null if it was gone. */
  async deleteApplication(name: string): Promise<string | null> {
    const [row] = returnedRows<{ package_sha: string }>(
      await this.db.query(`DELETE FROM sdk_applications WHERE name = $1 RETURNING package_sha`, [name]),
    );
    return row?.package_sha ?? null;
  }

  // --- sessions ---

  async insertSession(s: {
    application: string;
    /** Unset: `{application}-{id}`. */
    name?: string | null;
    kind: SessionKind;
    ordered: boolean;
    replicas: number;
    createdBy: string;
    service: (id: number) => ServiceDescriptor;
    serviceObject: { codec: Codec; size: number; bytes: ObjectBytes } | null;
    /**
     * Its first executors (one per replica), committed with it: the reaper, which replaces the
     * executors a session is short of, never sees it without them and starts none of its own.
     * The first is the current one of an ordered session.
     */
    executors: { id: string; tokenSha256: string }[];
  }): Promise<Session> {
    return this.db.transaction(async (m) => {
      const [{ id }]: { id: string }[] = await m.query(`SELECT nextval('sdk_sessions_id_seq') AS id`);
      const sid = Number(id);
      const service = s.service(sid);
      const [row] = await m.query(
        `INSERT INTO sdk_sessions (id, application, kind, ordered, replicas, service, created_by, executor_id, name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
        [
          sid,
          s.application,
          s.kind,
          s.ordered,
          s.replicas,
          JSON.stringify(service),
          s.createdBy,
          s.ordered ? (s.executors[0]?.id ?? null) : null,
          s.name ?? defaultSessionName(s.application, sid),
        ],
      );
      for (const e of s.executors)
        await m.query(`INSERT INTO sdk_executors (id, session_id, token_sha256) VALUES ($1, $2, $3)`, [e.id, sid, e.tokenSha256]);
      if (s.serviceObject) await this.writeReadyObject(m, service.serviceKey, s.application, sid, s.serviceObject);
      return toSession(row);
    });
  }

  async session(id: number): Promise<Session | null> {
    const [row] = await this.db.query(`SELECT * FROM sdk_sessions WHERE id = $1`, [id]);
    return row ? toSession(row) : null;
  }

  async sessionNamed(application: string, name: string): Promise<Session | null> {
    const [row] = await this.db.query(`SELECT * FROM sdk_sessions WHERE application = $1 AND name = $2`, [application, name]);
    return row ? toSession(row) : null;
  }

  async sessions(f: {
    id?: number;
    application?: string;
    name?: string;
    status?: SessionStatus;
    limit: number;
  }): Promise<SessionSummary[]> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT s.*,
              (SELECT count(*) FROM sdk_calls c WHERE c.session_id = s.id) AS calls,
              (SELECT count(*) FROM sdk_calls c WHERE c.session_id = s.id AND c.state IN ('done', 'failed', 'cancelled')) AS finished_calls,
              coalesce((SELECT array_agg(e.run_id ORDER BY e.created_at) FROM sdk_executors e WHERE e.session_id = s.id AND e.run_id IS NOT NULL), '{}') AS run_ids
         FROM sdk_sessions s
        WHERE ($1::text IS NULL OR s.application = $1) AND ($2::text IS NULL OR s.status = $2) AND ($4::bigint IS NULL OR s.id = $4)
          AND ($5::text IS NULL OR s.name = $5)
        ORDER BY s.id DESC LIMIT $3`,
      [f.application ?? null, f.status ?? null, f.limit, f.id ?? null, f.name ?? null],
    );
    return rows.map((r) => ({
      ...toSession(r),
      calls: Number(r.calls),
      finishedCalls: Number(r.finished_calls),
      runIds: (r.run_ids as number[]).map(Number),
    }));
  }

  async openSessionIdsOf(application: string): Promise<number[]> {
    const rows: { id: string }[] = await this.db.query(`SELECT id FROM sdk_sessions WHERE application = $1 AND status = 'open'`, [
      application,
    ]);
    return rows.map((r) => Number(r.id));
  }

  /**
   * open → closed or lost: its pending calls are cancelled (their results fail with `error`) and its
   * executors and clients hear of it. False when it was not open.
   */
  async endSession(id: number, status: 'closed' | 'lost', detail: string, error: RemoteErrorInfo): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const ended = returnedRows(
        await m.query(
          `UPDATE sdk_sessions SET status = $2::text, detail = $3, closed_at = now(),
                  executor_id = CASE WHEN $2::text = 'lost' THEN NULL ELSE executor_id END
            WHERE id = $1 AND status = 'open' RETURNING id`,
          [id, status, detail],
        ),
      );
      if (ended.length === 0) return false;
      const cancelled = returnedRows<{ result_key: string }>(
        await m.query(
          `UPDATE sdk_calls SET state = 'cancelled', finished_at = now() WHERE session_id = $1 AND state = ANY($2) RETURNING result_key`,
          [id, status === 'lost' ? ['pending', 'running'] : ['pending']],
        ),
      );
      await this.failObjects(
        m,
        cancelled.map((c) => c.result_key),
        error,
      );
      await this.notify(m, [`c ${id}`, `r ${id}`]);
      return true;
    });
  }

  // --- executors ---

  async insertExecutor(id: string, sessionId: number, tokenSha256: string, current: boolean): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(`INSERT INTO sdk_executors (id, session_id, token_sha256) VALUES ($1, $2, $3)`, [id, sessionId, tokenSha256]);
      if (current) await m.query(`UPDATE sdk_sessions SET executor_id = $2 WHERE id = $1`, [sessionId, id]);
    });
  }

  async setExecutorRun(id: string, runId: number): Promise<void> {
    await this.db.query(`UPDATE sdk_executors SET run_id = $2 WHERE id = $1`, [id, runId]);
  }

  /**
   * The executor a credential names, with its token's hash and what decides whether the credential
   * still works: its run's status, its session's, and whether it still holds running calls. Null
   * when it or its session is gone.
   */
  async executorCredential(id: string): Promise<ExecutorCredentialRow | null> {
    const [row]: Record<string, unknown>[] = await poolRows(
      this.db,
      `SELECT e.id, e.session_id, e.token_sha256, e.status, e.run_id, r.status AS run_status, s.application, s.ordered,
              s.status AS session_status,
              EXISTS (SELECT 1 FROM sdk_calls c WHERE c.executor_id = e.id AND c.state = 'running') AS holding
         FROM sdk_executors e JOIN sdk_sessions s ON s.id = e.session_id LEFT JOIN runs r ON r.id = e.run_id
        WHERE e.id = $1`,
      [id],
      { prepared: true },
    );
    if (!row) return null;
    return {
      id: row.id as string,
      sessionId: Number(row.session_id),
      application: row.application as string,
      ordered: row.ordered as boolean,
      tokenSha256: row.token_sha256 as string,
      status: row.status as Executor['status'],
      runId: row.run_id === null ? null : Number(row.run_id),
      runStatus: (row.run_status as RunStatus | null) ?? null,
      sessionStatus: row.session_status as SessionStatus,
      holding: row.holding as boolean,
    };
  }

  async liveExecutors(): Promise<LiveExecutor[]> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT e.*, s.status AS session_status, s.closed_at FROM sdk_executors e JOIN sdk_sessions s ON s.id = e.session_id
        WHERE e.status <> 'gone' ORDER BY e.created_at`,
    );
    return rows.map((r) => ({ ...toExecutor(r), sessionStatus: r.session_status as SessionStatus, closedAt: r.closed_at as Date | null }));
  }

  /** The runs of an application's executors that have not been retired. */
  async executorRunsOf(application: string): Promise<number[]> {
    const rows: { run_id: number }[] = await this.db.query(
      `SELECT e.run_id FROM sdk_executors e JOIN sdk_sessions s ON s.id = e.session_id
        WHERE s.application = $1 AND e.run_id IS NOT NULL AND e.status <> 'gone'`,
      [application],
    );
    return rows.map((r) => r.run_id);
  }

  /** Open sessions with fewer live executors than replicas. */
  async sessionsShortOfExecutors(): Promise<Session[]> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT s.* FROM sdk_sessions s
        WHERE s.status = 'open'
          AND (SELECT count(*) FROM sdk_executors e WHERE e.session_id = s.id AND e.status <> 'gone') < s.replicas`,
    );
    return rows.map(toSession);
  }

  /**
   * The executor is gone (its run ended): what it was running goes back to pending to be run again
   * from the last committed state, unless that call has now been tried `maxAttempts` times.
   */
  async retireExecutor(id: string, maxAttempts: number, error: RemoteErrorInfo, why: string | null): Promise<void> {
    await this.db.transaction(async (m) => {
      const [row] = returnedRows<{ session_id: string }>(
        await m.query(`UPDATE sdk_executors SET status = 'gone' WHERE id = $1 AND status <> 'gone' RETURNING session_id`, [id]),
      );
      if (!row) return;
      await m.query(
        `UPDATE sdk_sessions SET executor_id = CASE WHEN executor_id = $2 THEN NULL ELSE executor_id END,
                detail = CASE WHEN status = 'open' THEN coalesce($3, detail) ELSE detail END WHERE id = $1`,
        [row.session_id, id, why],
      );
      const given = returnedRows<{ result_key: string; attempt: number }>(
        await m.query(
          `UPDATE sdk_calls SET state = CASE WHEN attempt + 1 >= $2 THEN 'failed' ELSE 'pending' END,
                  attempt = attempt + 1, executor_id = NULL,
                  finished_at = CASE WHEN attempt + 1 >= $2 THEN now() END
            WHERE executor_id = $1 AND state = 'running' RETURNING result_key, attempt`,
          [id, maxAttempts],
        ),
      );
      await this.failObjects(
        m,
        given.filter((c) => c.attempt >= maxAttempts).map((c) => c.result_key),
        error,
      );
      await this.notify(m, [`c ${row.session_id}`, `r ${row.session_id}`]);
    });
  }

  /** A replacement is being started: counts towards the session's restarts in a row. */
  async countRestart(sessionId: number): Promise<void> {
    await this.db.query(`UPDATE sdk_sessions SET restarts = restarts + 1 WHERE id = $1`, [sessionId]);
  }

  // --- calls ---

  /**
   * Appends calls to an open session in one statement: their sequence numbers come from the
   * session's counter under its row lock, so they are in commit order, and their result objects
   * exist (pending) from then on. Null when the session is not open.
   */
  async submitCalls(
    sessionId: number,
    application: string,
    calls: NewCall[],
    createdBy: string,
  ): Promise<{ seq: number; key: string }[] | null> {
    const rows = returnedRows<{ seq: string; result_key: string }>(
      await poolRows(
        this.db,
        `WITH s AS (
           UPDATE sdk_sessions SET next_seq = next_seq + $2 WHERE id = $1 AND status = 'open' RETURNING next_seq - $2 AS base
         ), c AS (
           INSERT INTO sdk_calls (session_id, seq, method, args, args_key, refs, result_key)
           SELECT $1, s.base + t.i, t.method, t.args, t.args_key, ARRAY(SELECT jsonb_array_elements_text(t.refs)), t.result_key
             FROM s, unnest($3::text[], $4::bytea[], $5::text[], $6::jsonb[], $7::text[]) WITH ORDINALITY
                  AS t(method, args, args_key, refs, result_key, i)
           RETURNING seq, result_key
         ), o AS (
           INSERT INTO sdk_objects (key, application, session_id, state, created_by) SELECT result_key, $8, $1, 'pending', $10 FROM c
         )
         SELECT c.seq, c.result_key, pg_notify($9, 'c ' || $1) FROM c ORDER BY c.seq`,
        [
          sessionId,
          calls.length,
          calls.map((c) => c.method),
          calls.map((c) => c.args),
          calls.map((c) => c.argsKey),
          calls.map((c) => JSON.stringify(c.refs)),
          calls.map((c) => c.resultKey),
          application,
          SDK_CHANNEL,
          createdBy,
        ],
        { prepared: true },
      ),
    );
    return rows.length === 0 ? null : rows.map((r) => ({ seq: Number(r.seq), key: r.result_key }));
  }

  /** The calls of a session with these result keys, in sequence order. */
  async callsByKeys(sessionId: number, keys: string[]): Promise<{ seq: number; key: string }[]> {
    const rows: { seq: string; result_key: string }[] = await this.db.query(
      `SELECT seq, result_key FROM sdk_calls WHERE session_id = $1 AND result_key = ANY($2) ORDER BY seq`,
      [sessionId, keys],
    );
    return rows.map((r) => ({ seq: Number(r.seq), key: r.result_key }));
  }

  /** A session's calls in submission order, from `afterSeq` on. */
  async calls(sessionId: number, afterSeq: number, limit: number): Promise<CallRecord[]> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT seq, method, state, args, args_key, refs, result_key, created_at, finished_at
         FROM sdk_calls WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [sessionId, afterSeq, limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      method: r.method as string,
      state: r.state as string,
      args: r.args as Buffer | null,
      argsKey: r.args_key as string | null,
      refs: r.refs as string[],
      resultKey: r.result_key as string,
      createdAt: r.created_at as Date,
      finishedAt: r.finished_at as Date | null,
    }));
  }

  /** Which of these keys exist, with their application. */
  async existingKeys(keys: string[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    const rows: { key: string; application: string }[] = await this.db.query(
      `SELECT key, application FROM sdk_objects WHERE key = ANY($1)`,
      [keys],
    );
    return new Map(rows.map((r) => [r.key, r.application]));
  }

  /**
   * Hands the executor the next calls whose arguments are ready: an ordered session's in sequence
   * order, stopping at the first that must wait (nothing overtakes it); a stateless session's in
   * any order, skipping calls another executor is taking. A call whose argument failed fails with it.
   */
  async claimCalls(executor: ExecutorIdentity, max: number): Promise<{ calls: ClaimedCall[]; open: boolean }> {
    const plain = await this.claimPlain(executor, max);
    if (plain) return { calls: plain, open: true };
    return poolTransaction(this.db, async (m) => {
      if ((await this.checkExecutor(m, executor)) !== 'open') return { calls: [], open: false };
      return { calls: await this.claimIn(m, executor, max), open: true };
    });
  }

  /**
   * The common commit in one statement: results, each of a call running on this executor, which still
   * serves its session, and for an ordered session its state after them, one version on from the stored
   * one. Answers the session's status; null when that is not so, with nothing written (the transaction of
   * commitResults decides: a replaced executor, a call reported again or another's, a state already stored).
   * `pending`: calls of the session were waiting when it committed (else a claim now would find none).
   */
  async commitPlain(
    executor: ExecutorIdentity,
    results: CallResult[],
    state: StateSnapshot | null,
  ): Promise<{ pending: boolean; committed: CommittedResults } | null> {
    const ids = results.map((r) => r.callId);
    if (results.length === 0 || new Set(ids).size < ids.length || (state && !executor.ordered)) return null;
    const [row] = await poolRows<{
      session_status: SessionStatus | null;
      session_detail: string | null;
      ok: boolean;
      pending: boolean;
      finished: { id: string; seq: string; key: string; version: number }[] | null;
    }>(
      this.db,
      `WITH ex AS (
         SELECT s.status AS session_status, s.detail AS session_detail FROM sdk_executors e JOIN sdk_sessions s ON s.id = e.session_id
          WHERE e.id = $1 AND e.status <> 'gone' AND (NOT $12 OR s.executor_id = $1)
            FOR SHARE OF e
       ), held AS (
         SELECT c.id FROM sdk_calls c
          WHERE c.id = ANY($3::bigint[]) AND c.session_id = $2 AND c.executor_id = $1 AND c.state = 'running' AND EXISTS (SELECT 1 FROM ex)
            FOR UPDATE
       ), from_version AS (
         SELECT id FROM sdk_sessions WHERE id = $2 AND state_version = $13::int - 1 AND executor_id = $1 FOR UPDATE
       ), plain AS (
         SELECT (SELECT count(*) FROM held) = cardinality($3::bigint[]) AND ($13::int IS NULL OR EXISTS (SELECT 1 FROM from_version)) AS ok
       ), ${resultsWritten('plain')}, session AS (
         UPDATE sdk_sessions s SET restarts = 0, state_version = coalesce($13::int, s.state_version)
           FROM plain WHERE s.id = $2 AND plain.ok AND (s.restarts > 0 OR $13::int IS NOT NULL)
       ), state AS (
         INSERT INTO sdk_objects (key, application, session_id, version, state, codec, size, inline, blob, created_by)
         SELECT $14, $15, $2, $13::int, 'ready', $16, $17, $18, $19, s.created_by FROM sdk_sessions s, plain
          WHERE s.id = $2 AND plain.ok AND $13::int IS NOT NULL
         ON CONFLICT (key) DO UPDATE SET version = excluded.version, state = 'ready', codec = excluded.codec, size = excluded.size,
                inline = excluded.inline, blob = excluded.blob, error = NULL
       )
       SELECT (SELECT session_status FROM ex) AS session_status, (SELECT session_detail FROM ex) AS session_detail, plain.ok,
              CASE WHEN plain.ok THEN pg_notify($10, $11) END AS notified,
              EXISTS (SELECT 1 FROM sdk_calls WHERE session_id = $2 AND state = 'pending') AS pending,
              (SELECT json_agg(json_build_object('id', id, 'seq', seq, 'key', key, 'version', version) ORDER BY seq) FROM objects) AS finished
         FROM plain`,
      [
        ...resultParams(executor, results),
        executor.ordered,
        state?.version ?? null,
        stateKey(executor),
        executor.application,
        state?.codec ?? null,
        state?.size ?? null,
        state?.bytes.inline ?? null,
        state?.bytes.blob ?? null,
      ],
      { prepared: true },
    );
    if (!row?.ok || !row.session_status) return null;
    const reported = new Map(results.map((r) => [r.callId, r]));
    const finished = (row.finished ?? []).map((f): FinishedCall => {
      const r = reported.get(Number(f.id))!;
      return {
        seq: Number(f.seq),
        key: f.key,
        state: r.ok ? 'ready' : 'failed',
        codec: r.ok ? r.codec : null,
        size: r.ok ? r.size : null,
        version: f.version,
        inline: r.ok ? (r.bytes.inline ?? null) : null,
        error: r.ok ? null : r.error,
      };
    });
    return { pending: row.pending, committed: new CommittedResults(row.session_status, row.session_detail, finished) };
  }

  /**
   * Commits an executor's results, and for an ordered session the service state after them, in one
   * transaction guarded by the state version it started from: a replaced executor commits nothing,
   * and a call re-executed after a crash starts from the last committed state. In the same
   * transaction it takes up to `claim` next calls.
   */
  async commitResults(
    executor: ExecutorIdentity,
    results: CallResult[],
    state: StateSnapshot | null,
    claim = 0,
  ): Promise<{ calls: ClaimedCall[]; open: boolean }> {
    return poolTransaction(this.db, async (m) => {
      const status = await this.checkExecutor(m, executor);
      if (status === 'gone') throw new FencedError(`executor ${executor.id} was replaced`);
      if (!(await this.commitIn(m, executor, results, state))) return { calls: [], open: status === 'open' };
      if (status !== 'open' || claim <= 0) return { calls: [], open: status === 'open' };
      return { calls: await this.claimIn(m, executor, claim), open: true };
    });
  }

  /**
   * The common claim in one statement: the executor is serving its open session and the next calls take
   * no other call's result (nothing to wait for, nothing failed before them). Null when that is not so:
   * the transaction above decides (status, dependencies, order).
   */
  private async claimPlain(executor: ExecutorIdentity, max: number): Promise<ClaimedCall[] | null> {
    const rows: Record<string, unknown>[] = await poolRows(
      this.db,
      `WITH ex AS (
         SELECT e.id FROM sdk_executors e JOIN sdk_sessions s ON s.id = e.session_id
          WHERE e.id = $1 AND e.status <> 'gone' AND s.status = 'open' AND (NOT $4 OR s.executor_id = $1)
            FOR SHARE OF e
       ), next AS (
         SELECT id, refs FROM sdk_calls
          WHERE session_id = $2 AND state = 'pending' AND EXISTS (SELECT 1 FROM ex)
          ORDER BY seq LIMIT $3 ${executor.ordered ? '' : 'FOR UPDATE SKIP LOCKED'}
       ), plain AS (
         SELECT EXISTS (SELECT 1 FROM ex) AND NOT EXISTS (SELECT 1 FROM next WHERE refs <> '{}') AS ok
       ), taken AS (
         UPDATE sdk_calls c SET state = 'running', executor_id = $1 FROM next, plain
          WHERE c.id = next.id AND c.state = 'pending' AND plain.ok
         RETURNING c.id, c.seq, c.method, c.args, c.args_key, c.refs, c.result_key, c.attempt
       )
       SELECT plain.ok, taken.* FROM plain LEFT JOIN taken ON true`,
      [executor.id, executor.sessionId, max, executor.ordered],
      // Not prepared: its generic plan made a burst of 20,000 calls 3.5× slower (1,150 calls/s against 4,000).
    );
    if (!rows[0]?.ok) return null;
    return rows
      .filter((r) => r.id !== null)
      .map(toClaimedCall)
      .sort((a, b) => a.seq - b.seq);
  }

  /** First contact: the executor is serving. */
  async markReady(executorId: string): Promise<void> {
    await this.db.query(`UPDATE sdk_executors SET status = 'ready' WHERE id = $1 AND status = 'starting'`, [executorId]);
  }

  /**
   * False when this very commit had landed before (its answer was lost): nothing is written twice. The
   * common case is two statements (the state, then the calls with their objects); who held the calls is
   * looked up only when the calls' update did not find every one running on this executor.
   */
  private async commitIn(m: Statements, executor: ExecutorIdentity, results: CallResult[], state: StateSnapshot | null): Promise<boolean> {
    const ids = results.map((r) => r.callId);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice !== undefined) throw new RefusedResultsError(`call ${twice} is reported twice: nothing of this exchange was stored`);
    if (state) {
      const moved = returnedRows(
        await m.query(
          `UPDATE sdk_sessions SET state_version = $2, restarts = 0 WHERE id = $1 AND state_version = $3 AND executor_id = $4 RETURNING id`,
          [executor.sessionId, state.version, state.version - 1, executor.id],
        ),
      );
      if (moved.length === 0) {
        await this.checkHeld(m, executor, ids);
        const [current]: { state_version: number; executor_id: string | null }[] = await m.query(
          `SELECT state_version, executor_id FROM sdk_sessions WHERE id = $1`,
          [executor.sessionId],
        );
        if (current?.state_version === state.version && current.executor_id === executor.id) return false;
        throw new FencedError(`state version ${state.version - 1} of session ${executor.sessionId} is not the current one`);
      }
      await this.writeReadyObject(m, stateKey(executor), executor.application, executor.sessionId, state, state.version);
    }
    if (results.length === 0) return true;
    // The calls, their result objects, the session's restarts in a row (results came: from zero again) and
    // the clients' wake-up in one statement; a refusal below rolls all of it back.
    const done = returnedRows<{ id: string }>(
      await m.query(
        `WITH ${resultsWritten()}, reset AS (
           UPDATE sdk_sessions SET restarts = 0 WHERE id = $2 AND restarts > 0 AND EXISTS (SELECT 1 FROM done)
         )
         SELECT done.id, pg_notify($10, $11) FROM done`,
        resultParams(executor, results),
      ),
    );
    if (done.length < results.length) {
      await this.checkHeld(m, executor, ids);
      if (executor.ordered) throw new FencedError(`some calls are no longer held by executor ${executor.id}`);
    }
    return true;
  }

  /**
   * Every reported call was handed to this executor (it runs it, or ran it and this is a commit sent
   * again): anything else is another executor's call, and nothing of the exchange is stored.
   */
  private async checkHeld(m: Statements, executor: ExecutorIdentity, ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    const held: { id: string }[] = await m.query(
      `SELECT id FROM sdk_calls WHERE id = ANY($1::bigint[]) AND session_id = $2 AND executor_id = $3 FOR UPDATE`,
      [ids, executor.sessionId, executor.id],
    );
    const mine = new Set(held.map((h) => Number(h.id)));
    const foreign = ids.filter((id) => !mine.has(id));
    if (foreign.length > 0) {
      throw new RefusedResultsError(
        `call${foreign.length > 1 ? 's' : ''} ${foreign.join(', ')} ${foreign.length > 1 ? 'were' : 'was'} not handed to this executor: ` +
          'nothing of this exchange was stored',
      );
    }
  }

  private async claimIn(m: Statements, executor: ExecutorIdentity, max: number): Promise<ClaimedCall[]> {
    const pending: Record<string, unknown>[] = await m.query(
      `SELECT id, seq, method, args, args_key, refs, result_key, attempt FROM sdk_calls
        WHERE session_id = $1 AND state = 'pending' ORDER BY seq LIMIT $2 ${executor.ordered ? '' : 'FOR UPDATE SKIP LOCKED'}`,
      [executor.sessionId, executor.ordered ? max : max * 4],
    );
    const calls = pending.map(toClaimedCall);
    const refs = [...new Set(calls.flatMap((c) => c.refs))];
    const states = new Map<string, { state: string; error: RemoteErrorInfo | null }>();
    if (refs.length > 0) {
      const rows: { key: string; state: string; error: RemoteErrorInfo | null }[] = await m.query(
        `SELECT key, state, error FROM sdk_objects WHERE key = ANY($1)`,
        [refs],
      );
      for (const r of rows) states.set(r.key, r);
    }
    const taken: ClaimedCall[] = [];
    const failed: { call: ClaimedCall; error: RemoteErrorInfo }[] = [];
    for (const call of calls) {
      if (taken.length >= max) break;
      const bad = call.refs.map((k) => ({ k, s: states.get(k) })).find(({ s }) => s?.state === 'failed');
      if (bad) {
        const cause = bad.s!.error;
        failed.push({
          call,
          error: {
            type: 'DependencyFailedError',
            message: `argument ${bad.k} failed: ${cause ? `${cause.type}: ${cause.message}` : 'it failed'}`,
          },
        });
        continue;
      }
      if (call.refs.some((k) => states.get(k)?.state !== 'ready')) {
        if (executor.ordered) break;
        continue;
      }
      taken.push(call);
    }
    let handed = taken;
    if (taken.length > 0) {
      // Only calls still pending (a session closing meanwhile cancels them: they are not run).
      const running = returnedRows<{ id: string }>(
        await m.query(`UPDATE sdk_calls SET state = 'running', executor_id = $2 WHERE id = ANY($1) AND state = 'pending' RETURNING id`, [
          taken.map((c) => c.id),
          executor.id,
        ]),
      );
      const ids = new Set(running.map((r) => Number(r.id)));
      handed = taken.filter((c) => ids.has(c.id));
    }
    for (const f of failed) {
      await m.query(`UPDATE sdk_calls SET state = 'failed', finished_at = now() WHERE id = $1`, [f.call.id]);
      await this.failObjects(m, [f.call.resultKey], f.error);
    }
    if (failed.length > 0) await this.notify(m, [`r ${executor.sessionId}`, `c ${executor.sessionId}`]);
    return handed;
  }

  /** The result keys of calls this executor is running. */
  async runningCallKeys(executorId: string, callIds: number[]): Promise<Map<number, string>> {
    if (callIds.length === 0) return new Map();
    const rows: { id: string; result_key: string }[] = await poolRows(
      this.db,
      `SELECT id, result_key FROM sdk_calls WHERE id = ANY($1) AND executor_id = $2 AND state = 'running'`,
      [callIds, executorId],
    );
    return new Map(rows.map((r) => [Number(r.id), r.result_key]));
  }

  /**
   * The session's status and its finished calls among those a client waits for: by sequence ranges, and by
   * result key for calls it may not have heard the number of yet (the wait starts with the submission). Null
   * when the session does not exist.
   */
  async finishedCalls(
    sessionId: number,
    wanted: { ranges: [number, number][]; keys: string[] },
    inlineMax: number,
    limit: number,
  ): Promise<{ status: SessionStatus; detail: string | null; results: FinishedCall[] } | null> {
    // Range by range on the finished calls' (session_id, seq), key by key on result_key: the cost is the calls that
    // finished among those waited for, not the session's length nor the calls still running. Only the ways asked
    // for are in the statement: planning the two together cost Postgres 1.4 ms a look, one alone 0.2.
    const params: unknown[] = [sessionId, inlineMax, limit];
    const ways: string[] = [];
    if (wanted.ranges.length > 0) {
      params.push(
        wanted.ranges.map((r) => r[0]),
        wanted.ranges.map((r) => r[1]),
      );
      ways.push(`SELECT c.seq, c.result_key
                   FROM unnest($${params.length - 1}::bigint[], $${params.length}::bigint[]) AS r(lo, hi)
                   CROSS JOIN LATERAL (SELECT seq, result_key FROM sdk_calls
                                        WHERE session_id = $1 AND seq BETWEEN r.lo AND r.hi AND state IN ('done', 'failed', 'cancelled')) c`);
    }
    if (wanted.keys.length > 0) {
      params.push(wanted.keys);
      // OFFSET 0 keeps the lookup on result_key's own index: with the session's condition beside it the planner
      // took the finished calls' index and read every finished call of the session, per look.
      ways.push(`SELECT c.seq, c.result_key
                   FROM unnest($${params.length}::text[]) AS k(key)
                   CROSS JOIN LATERAL (SELECT seq, result_key, session_id, state FROM sdk_calls WHERE result_key = k.key OFFSET 0) c
                  WHERE c.session_id = $1 AND c.state IN ('done', 'failed', 'cancelled')`);
    }
    if (ways.length === 0) ways.push(`SELECT NULL::bigint AS seq, NULL::varchar AS result_key WHERE false`);
    const rows: Record<string, unknown>[] = await poolRows(
      this.db,
      `SELECT s.status AS session_status, s.detail AS session_detail, f.*
         FROM sdk_sessions s
         LEFT JOIN LATERAL (
           SELECT w.seq, o.key, o.state, o.codec, o.size, o.version, o.error, CASE WHEN o.size <= $2 THEN o.inline END AS inline
             FROM (${ways.join(' UNION ALL ')}) w
             JOIN sdk_objects o ON o.key = w.result_key
            ORDER BY w.seq LIMIT $3
         ) f ON true
        WHERE s.id = $1`,
      params,
      { prepared: true },
    );
    if (rows.length === 0) return null;
    return {
      status: rows[0].session_status as SessionStatus,
      detail: rows[0].session_detail as string | null,
      results: rows
        .filter((r) => r.key !== null)
        .map((r) => ({
          seq: Number(r.seq),
          key: r.key as string,
          state: r.state as 'ready' | 'failed',
          codec: r.codec as Codec | null,
          size: r.size === null ? null : Number(r.size),
          version: r.version as number,
          inline: r.inline as Buffer | null,
          error: r.error as RemoteErrorInfo | null,
        })),
    };
  }

  // --- objects ---

  async object(key: string): Promise<StoredObject | null> {
    const [row] = await poolRows(this.db, `SELECT * FROM sdk_objects WHERE key = $1`, [key]);
    return row ? toObject(row) : null;
  }

  /** A client's own object (Flame's put_object; large call arguments), ready at once. */
  async putObject(
    key: string,
    application: string,
    sessionId: number | null,
    createdBy: string,
    o: { codec: Codec; size: number; bytes: ObjectBytes },
  ): Promise<void> {
    await this.db.transaction((m) => this.writeReadyObject(m, key, application, sessionId, o, 1, createdBy));
  }

  /** Who created the objects of an application. */
  async objectOwnersOf(application: string): Promise<(string | null)[]> {
    const rows: { created_by: string | null }[] = await this.db.query(
      `SELECT DISTINCT created_by FROM sdk_objects WHERE application = $1`,
      [application],
    );
    return rows.map((r) => r.created_by);
  }

  async deleteObjectsOf(application: string): Promise<number> {
    const rows = returnedRows(await this.db.query(`DELETE FROM sdk_objects WHERE application = $1 RETURNING key`, [application]));
    return rows.length;
  }

  /** Applications that have objects but are no longer registered, for longer than `secs`. */
  async orphanObjectOwners(olderThanSecs: number): Promise<string[]> {
    const rows: { application: string }[] = await this.db.query(
      `SELECT DISTINCT application FROM sdk_objects o
        WHERE NOT EXISTS (SELECT 1 FROM sdk_applications a WHERE a.name = o.application)
          AND created_at < now() - make_interval(secs => $1)`,
      [olderThanSecs],
    );
    return rows.map((r) => r.application);
  }

  // --- helpers ---

  /** Locks what a claim or commit depends on; answers the session's status, or 'gone' for a replaced executor. */
  private async checkExecutor(m: Statements, executor: ExecutorIdentity): Promise<SessionStatus | 'gone'> {
    const [row]: { status: string; session_status: SessionStatus; executor_id: string | null }[] = await m.query(
      `SELECT e.status, s.status AS session_status, s.executor_id FROM sdk_executors e JOIN sdk_sessions s ON s.id = e.session_id
        WHERE e.id = $1 FOR SHARE OF e`,
      [executor.id],
    );
    if (!row || row.status === 'gone') return 'gone';
    if (executor.ordered && row.executor_id !== executor.id) return 'gone';
    return row.session_status;
  }

  private async writeReadyObject(
    m: Statements,
    key: string,
    application: string,
    sessionId: number | null,
    o: { codec: Codec; size: number; bytes: ObjectBytes },
    version = 1,
    createdBy: string | null = null,
  ): Promise<void> {
    // Without a creator named, the object is its session's owner's (the service, the state).
    await m.query(
      `INSERT INTO sdk_objects (key, application, session_id, version, state, codec, size, inline, blob, created_by)
       VALUES ($1, $2, $3, $4, 'ready', $5, $6, $7, $8, coalesce($9::varchar, (SELECT created_by FROM sdk_sessions WHERE id = $3)))
       ON CONFLICT (key) DO UPDATE SET version = $4, state = 'ready', codec = $5, size = $6, inline = $7, blob = $8, error = NULL`,
      [key, application, sessionId, version, o.codec, o.size, o.bytes.inline ?? null, o.bytes.blob ?? null, createdBy],
    );
  }

  private async failObjects(m: Statements, keys: string[], error: RemoteErrorInfo): Promise<void> {
    if (keys.length === 0) return;
    await m.query(`UPDATE sdk_objects SET state = 'failed', version = version + 1, error = $2 WHERE key = ANY($1)`, [
      keys,
      JSON.stringify(error),
    ]);
  }

  private async notify(m: Statements, payloads: string[]): Promise<void> {
    for (const p of payloads) await m.query(`SELECT pg_notify($1, $2)`, [SDK_CHANNEL, p]);
  }
}

/**
 * What both commits write of the reported results ($3–$9 of resultParams): the calls done or failed, and
 * their result objects, each call only while running on this executor; `gate`, a CTE with `ok`, must hold.
 */
const resultsWritten = (gate?: string): string => `t AS (
    SELECT * FROM unnest($3::bigint[], $4::boolean[], $5::text[], $6::bigint[], $7::bytea[], $8::text[], $9::jsonb[])
           AS t(id, ok, codec, size, inline, blob, error)
  ), done AS (
    UPDATE sdk_calls c SET state = CASE WHEN t.ok THEN 'done' ELSE 'failed' END, finished_at = now()
      FROM t${gate ? `, ${gate}` : ''}
     WHERE ${gate ? `${gate}.ok AND ` : ''}c.id = t.id AND c.session_id = $2 AND c.executor_id = $1 AND c.state = 'running'
    RETURNING c.id, c.seq, c.result_key
  ), objects AS (
    UPDATE sdk_objects o SET state = CASE WHEN t.ok THEN 'ready' ELSE 'failed' END, version = o.version + 1,
           codec = t.codec, size = t.size, inline = t.inline, blob = t.blob, error = t.error
      FROM done JOIN t ON t.id = done.id WHERE o.key = done.result_key
    RETURNING done.id, done.seq, o.key, o.version
  )`;

/** $1–$11 of both commits: the executor, its session, the results column by column, the clients' wake-up. */
const resultParams = (executor: ExecutorIdentity, results: CallResult[]): unknown[] => [
  executor.id,
  executor.sessionId,
  results.map((r) => r.callId),
  results.map((r) => r.ok),
  results.map((r) => (r.ok ? r.codec : null)),
  results.map((r) => (r.ok ? r.size : null)),
  results.map((r) => (r.ok ? (r.bytes.inline ?? null) : null)),
  results.map((r) => (r.ok ? (r.bytes.blob ?? null) : null)),
  results.map((r) => (r.ok ? null : JSON.stringify(r.error))),
  SDK_CHANNEL,
  `r ${executor.sessionId}`,
];

/** Where an ordered session keeps its service's state (Flame's key layout). */
export const stateKey = (s: { application: string; sessionId: number }): string => `${s.application}/${s.sessionId}/state`;

function toApplication(r: Record<string, unknown>): Application {
  return {
    name: r.name as string,
    packageSha: (r.package_sha as string).trim(),
    runtime: r.runtime as SdkRuntime,
    profileName: r.profile_name as string,
    workdir: r.workdir as string | null,
    createdBy: r.created_by as string,
    createdAt: r.created_at as Date,
    leaseExpiresAt: r.lease_expires_at as Date,
  };
}

function toSession(r: Record<string, unknown>): Session {
  return {
    id: Number(r.id),
    name: r.name as string,
    application: r.application as string,
    kind: r.kind as SessionKind,
    ordered: r.ordered as boolean,
    replicas: r.replicas as number,
    service: r.service as ServiceDescriptor,
    status: r.status as SessionStatus,
    detail: r.detail as string | null,
    nextSeq: Number(r.next_seq),
    stateVersion: r.state_version as number,
    executorId: r.executor_id as string | null,
    restarts: r.restarts as number,
    createdBy: r.created_by as string,
    createdAt: r.created_at as Date,
    closedAt: r.closed_at as Date | null,
  };
}

function toExecutor(r: Record<string, unknown>): Executor {
  return {
    id: r.id as string,
    sessionId: Number(r.session_id),
    runId: r.run_id === null ? null : Number(r.run_id),
    status: r.status as Executor['status'],
    createdAt: r.created_at as Date,
  };
}

function toClaimedCall(r: Record<string, unknown>): ClaimedCall {
  return {
    id: Number(r.id),
    seq: Number(r.seq),
    method: r.method as string,
    args: r.args as Buffer | null,
    argsKey: r.args_key as string | null,
    refs: r.refs as string[],
    resultKey: r.result_key as string,
    attempt: r.attempt as number,
  };
}

function toObject(r: Record<string, unknown>): StoredObject {
  return {
    key: r.key as string,
    application: r.application as string,
    sessionId: r.session_id === null ? null : Number(r.session_id),
    version: r.version as number,
    state: r.state as StoredObject['state'],
    codec: r.codec as Codec | null,
    size: r.size === null ? null : Number(r.size),
    inline: r.inline as Buffer | null,
    blob: r.blob as string | null,
    error: r.error as RemoteErrorInfo | null,
    createdBy: r.created_by as string | null,
  };
}
