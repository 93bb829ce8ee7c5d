import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { RunLimit } from '@runyard/config';
import { HELD_STATUSES, poolRows, returnedRows, Run, RunKind, RunStatus, UNFINISHED_STATUSES } from '@runyard/persistence';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

export interface RunFilter {
  expid?: string;
  status?: RunStatus;
  kind?: RunKind;
  profile?: string;
  /** Runs an agent took (its id). */
  agent?: string;
  requestedBy?: string;
  limit: number;
  /** Keyset pagination: runs with an id below this one. */
  before?: number;
}

/** One stored chunk of a run's output; `id` is the bigserial as a string (arrival order). */
export interface OutputChunk {
  id: string;
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** Where a launched run lives, recorded when it starts. */
export interface RunPlace {
  pid: number;
  host: string;
  runDir: string;
  argv: string[];
  startedAt: Date;
}

/** How far a run's output has been shipped: committed together with the chunks that advance it. */
export interface OutputProgress {
  offsets: { stdout: number; stderr: number };
  logBytes: number;
  logTruncatedBytes: number;
}

/** A run's end as the engine decided it. */
export interface RunOutcome {
  status: RunStatus;
  detail: string;
  exitCode: number | null;
  result?: Record<string, unknown> | null;
}

/** A stop request the holding worker has to carry out. */
export interface StopRequest {
  id: number;
  force: boolean;
  requestedAt: Date;
}

/** The end of some output: at most `bytes`, and at most `lines` lines (a final newline ends the last line). */
export function tailOf(output: Buffer, bytes: number, lines = Infinity): Buffer {
  let tail = output.subarray(Math.max(0, output.length - bytes));
  if (Number.isFinite(lines)) {
    let cut = tail.length - (tail[tail.length - 1] === 0x0a ? 1 : 0);
    for (let n = 0; n < lines && cut > 0; n++) cut = tail.lastIndexOf(0x0a, cut - 1);
    if (cut > 0) tail = tail.subarray(cut + 1);
  }
  return tail;
}

export { returnedRows };

const UNIQUE_VIOLATION = '23505';
export const isUniqueViolation = (e: unknown): boolean => (e as { code?: string })?.code === UNIQUE_VIOLATION;

/** Postgres channel a stop request is announced on; the payload is `<worker id> <run id>`. */
export const STOP_CHANNEL = 'runyard_stop';

const HELD = [...HELD_STATUSES];

/**
 * Every statement on `runs` and `run_output`: what can move a run from one status to another is
 * read in this file. Status sets are parameters, never literals.
 */
@Injectable()
export class RunsRepository {
  /** The entity's columns, read once: the metadata does not change while the process runs. */
  private columns?: ColumnMetadata[];
  private columnList?: string;

  constructor(private readonly db: DataSource) {}

  /** One INSERT … RETURNING the row: the answer is the same document a later read gives. */
  async insert(
    run: Pick<Run, 'kind' | 'expid' | 'profileName' | 'runner' | 'moduleLoader' | 'modules' | 'argv' | 'settings' | 'requestedBy'>,
  ): Promise<Run> {
    return this.one(
      `INSERT INTO runs (kind, expid, profile_name, runner, module_loader, modules, argv, settings, status, requested_by, queue_deadline_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'QUEUED', $9, now() + make_interval(secs => $10)) RETURNING ${this.row}`,
      [
        run.kind,
        run.expid,
        run.profileName,
        run.runner,
        run.moduleLoader,
        JSON.stringify(run.modules),
        JSON.stringify(run.argv),
        JSON.stringify(run.settings),
        run.requestedBy,
        run.settings.queueTimeoutMs === undefined ? null : run.settings.queueTimeoutMs / 1000,
      ],
      true,
    ) as Promise<Run>;
  }

  byId(id: number): Promise<Run | null> {
    return this.one(`SELECT ${this.row} FROM runs WHERE id = $1`, [id], true);
  }

  /** Status and detail of several runs (a session's executors), one statement. */
  async statusesOf(ids: number[]): Promise<Pick<Run, 'id' | 'kind' | 'status' | 'detail' | 'attempts'>[]> {
    if (ids.length === 0) return [];
    return this.db.query(`SELECT id, kind, status, detail, attempts FROM runs WHERE id = ANY($1)`, [ids]);
  }

  /** The experiment's latest run (the one the Autosubmit status endpoints describe). */
  latestRunOf(expid: string): Promise<Run | null> {
    return this.one(`SELECT * FROM runs WHERE expid = $1 AND kind = 'run' ORDER BY id DESC LIMIT 1`, [expid]);
  }

  unfinishedRunOf(expid: string): Promise<Run | null> {
    return this.one(`SELECT * FROM runs WHERE expid = $1 AND kind = 'run' AND status = ANY($2) LIMIT 1`, [expid, [...UNFINISHED_STATUSES]]);
  }

  async list(f: RunFilter): Promise<Run[]> {
    const { where, params } = filtered(f);
    if (f.before) where.push(`id < $${params.push(f.before)}`);
    params.push(f.limit);
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => this.fromRow(r));
  }

  async count(f: Omit<RunFilter, 'limit' | 'before'>): Promise<number> {
    const { where, params } = filtered(f);
    const [row] = await this.db.query(`SELECT count(*)::int AS n FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`, params);
    return row.n as number;
  }

  // --- the API's transitions ---

  /** QUEUED → TERMINATED before any worker took it; false if one already did. */
  async withdraw(id: number, detail: string): Promise<boolean> {
    return this.changed(
      `UPDATE runs SET status = 'TERMINATED', detail = $2, finished_at = now(), modified_at = now() WHERE id = $1 AND status = 'QUEUED' RETURNING id`,
      [id, detail],
    );
  }

  /** A run whose job could not be enqueued in time can never execute later: no worker claims, no reconciler re-enqueues it. */
  async abandonQueued(id: number, detail: string): Promise<boolean> {
    return this.changed(
      `UPDATE runs SET status = 'FAILED', detail = $2, finished_at = now(), modified_at = now() WHERE id = $1 AND status = 'QUEUED' RETURNING id`,
      [id, detail],
    );
  }

  /**
   * A held run becomes STOPPING (again, for a repeated request), and the holding worker hears of it
   * through NOTIFY in the same statement; false if the run is not held.
   */
  async requestStop(id: number, force: boolean, detail: string): Promise<boolean> {
    const rows = await this.db.query(
      `WITH stopping AS (
         UPDATE runs SET status = 'STOPPING', stop_force = $2, stop_requested_at = clock_timestamp(), detail = $3, modified_at = now()
          WHERE id = $1 AND status = ANY($4) RETURNING id, worker_id)
       SELECT id, pg_notify($5, coalesce(worker_id, '') || ' ' || id) FROM stopping`,
      [id, force, detail, HELD, STOP_CHANNEL],
    );
    return rows.length > 0;
  }

  // --- the engine's transitions ---

  /** QUEUED → STARTING for this worker, answering the row in the same statement; null if someone else moved it. */
  claim(id: number, workerId: string, host: string): Promise<Run | null> {
    return this.one(
      `UPDATE runs SET status = 'STARTING', worker_id = $2, host = $3, heartbeat_at = now(), modified_at = now()
        WHERE id = $1 AND status = 'QUEUED' RETURNING ${this.row}`,
      [id, workerId, host],
      true,
    );
  }

  /** STARTING → QUEUED again, saying what it waits for; false when a stop came first (it is then STOPPING). */
  async requeue(id: number, detail: string): Promise<boolean> {
    return this.changed(
      `UPDATE runs SET status = 'QUEUED', worker_id = NULL, heartbeat_at = NULL, limit_keys = '{}', detail = $2, modified_at = now()
        WHERE id = $1 AND status = 'STARTING' RETURNING id`,
      [id, detail],
    );
  }

  /**
   * The limit it would exceed if it started now, counting the held runs that passed this check under
   * each of its limits, under an advisory lock per limit, so workers claiming at once cannot both pass;
   * null when it may start (it then counts: its limit keys are set).
   */
  async exceededLimit(id: number, limits: RunLimit[], detailOf: (limit: RunLimit, held: number) => string): Promise<RunLimit | null> {
    return this.db.transaction(async (m) => {
      const sorted = [...limits].sort((a, b) => a.key.localeCompare(b.key));
      for (const l of sorted) await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`runyard-limit:${l.key}`]);
      for (const l of sorted) {
        const [{ n }]: { n: string }[] = await m.query(
          `SELECT count(*) AS n FROM runs WHERE limit_keys @> ARRAY[$1] AND status = ANY($2) AND id <> $3`,
          [l.key, HELD, id],
        );
        if (Number(n) >= l.max) {
          await m.query(
            `UPDATE runs SET status = 'QUEUED', worker_id = NULL, heartbeat_at = NULL, limit_keys = '{}', detail = $2, modified_at = now()
              WHERE id = $1 AND status = 'STARTING'`,
            [id, detailOf(l, Number(n))],
          );
          return l;
        }
      }
      await m.query(`UPDATE runs SET limit_keys = $2 WHERE id = $1`, [id, sorted.map((l) => l.key)]);
      return null;
    });
  }

  /** Where it runs, its deadline, and ACTIVE unless a stop request already made it STOPPING; one statement. */
  async markStarted(id: number, place: RunPlace, timeoutMs?: number): Promise<void> {
    await poolRows(
      this.db,
      `UPDATE runs SET pid = $2, host = $3, run_dir = $4, argv = $5, started_at = $6, modified_at = now(),
              deadline_at = $6::timestamptz + make_interval(secs => $7),
              status = CASE WHEN status = 'STARTING' THEN 'ACTIVE' ELSE status END
        WHERE id = $1`,
      [
        id,
        place.pid,
        place.host,
        place.runDir,
        JSON.stringify(place.argv),
        place.startedAt,
        timeoutMs === undefined ? null : timeoutMs / 1000,
      ],
      { prepared: true },
    );
  }

  /** A held run past its deadline becomes STOPPING for its timeout (unless a stop request is already being served). */
  async timeOut(id: number, detail: string): Promise<StopRequest | null> {
    const [row] = returnedRows<{ stop_requested_at: Date }>(
      await this.db.query(
        `UPDATE runs SET status = 'STOPPING', stop_reason = 'timeout', stop_force = false, stop_requested_at = clock_timestamp(), detail = $2, modified_at = now()
          WHERE id = $1 AND status IN ('STARTING', 'ACTIVE') RETURNING stop_requested_at`,
        [id, detail],
      ),
    );
    return row ? { id, force: false, requestedAt: new Date(row.stop_requested_at) } : null;
  }

  /**
   * Another attempt later: back to QUEUED from `from` (the claim, or a held run that failed), counted,
   * with the reason kept and the output read from the start of the new attempt's files.
   */
  async retryLater(id: number, from: readonly RunStatus[], lastError: string, detail: string, delayMs: number): Promise<Run | null> {
    return this.one(
      `UPDATE runs SET status = 'QUEUED', attempts = attempts + 1, last_error = $2, detail = $3, not_before = now() + make_interval(secs => $4),
              worker_id = NULL, heartbeat_at = NULL, pid = NULL, started_at = NULL, deadline_at = NULL, stop_reason = NULL,
              limit_keys = '{}', output_offsets = '{"stdout":0,"stderr":0}', modified_at = now()
        WHERE id = $1 AND status = ANY($5) RETURNING *`,
      [id, lastError, detail, delayMs / 1000, [...from]],
    );
  }

  /** Queued runs past their queue deadline fail, saying what they waited for. */
  async failOverdueQueued(): Promise<Run[]> {
    const rows = returnedRows<Record<string, unknown>>(
      await this.db.query(
        `UPDATE runs SET status = 'FAILED', finished_at = now(), modified_at = now(),
                detail = 'queue timeout: not started within ' || extract(epoch FROM queue_deadline_at - created_at)::int || ' s' ||
                         coalesce(' (' || detail || ')', '')
          WHERE status = 'QUEUED' AND queue_deadline_at < now() RETURNING *`,
      ),
    );
    return rows.map((r) => this.fromRow(r));
  }

  /** The run's final status, if it is still held; false when someone else already ended it. */
  async finish(id: number, outcome: RunOutcome, from: readonly RunStatus[] = HELD): Promise<boolean> {
    return this.changed(
      `UPDATE runs SET status = $2, detail = $3, exit_code = $4, result = $5, finished_at = now(), modified_at = now(), worker_id = NULL
        WHERE id = $1 AND status = ANY($6) RETURNING id`,
      [id, outcome.status, outcome.detail, outcome.exitCode, outcome.result ? JSON.stringify(outcome.result) : null, [...from]],
      true,
    );
  }

  /**
   * Keeps the runs this worker can still follow fresh, and answers the stop requests among them
   * (the slow fallback beside NOTIFY). Runs it cannot finish are left out and go stale.
   */
  async heartbeat(workerId: string, ids: number[]): Promise<StopRequest[]> {
    if (ids.length === 0) return [];
    const rows = returnedRows<{ id: number; stop_force: boolean; stop_requested_at: Date | null; status: RunStatus }>(
      await this.db.query(
        `UPDATE runs SET heartbeat_at = now() WHERE worker_id = $1 AND id = ANY($2) AND status = ANY($3)
         RETURNING id, status, stop_force, stop_requested_at`,
        [workerId, ids, HELD],
      ),
    );
    return rows
      .filter((r) => r.status === 'STOPPING')
      .map((r) => ({ id: r.id, force: r.stop_force, requestedAt: new Date(r.stop_requested_at ?? 0) }));
  }

  /** The stop request of one run this worker holds, or null (the run moved on, or another worker has it). */
  async stopRequestOf(id: number, workerId: string): Promise<StopRequest | null> {
    const [row]: { id: number; stop_force: boolean; stop_requested_at: Date | null }[] = await this.db.query(
      `SELECT id, stop_force, stop_requested_at FROM runs WHERE id = $1 AND worker_id = $2 AND status = 'STOPPING'`,
      [id, workerId],
    );
    return row ? { id: row.id, force: row.stop_force, requestedAt: new Date(row.stop_requested_at ?? 0) } : null;
  }

  /** Graceful shutdown: the held rows are let go so the next worker re-attaches at once. */
  async release(workerId: string): Promise<void> {
    await this.db.query(`UPDATE runs SET worker_id = NULL WHERE worker_id = $1 AND status = ANY($2)`, [workerId, HELD]);
  }

  /**
   * Takes over held runs nobody is following: released, or whose worker's heartbeat is stale. A
   * host-bound run only on its own host; never a run this worker already holds.
   */
  async adoptOrphans(workerId: string, host: string, hostBound: string[], staleSecs: number, holding: number[]): Promise<Run[]> {
    const rows = returnedRows<Record<string, unknown>>(
      await this.db.query(
        `UPDATE runs SET worker_id = $1, heartbeat_at = now()
          WHERE id IN (
            SELECT id FROM runs
             WHERE status = ANY($4) AND (host = $2 OR NOT runner = ANY($3)) AND NOT id = ANY($6)
               AND (worker_id IS NULL OR heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $5))
             FOR UPDATE SKIP LOCKED)
          RETURNING *`,
        [workerId, host, hostBound, HELD, staleSecs, holding],
      ),
    );
    return rows.map((r) => this.fromRow(r));
  }

  /**
   * Host-bound runs on another host whose worker stopped answering: nobody else can follow them. Those
   * whose retry policy covers `lost` and has attempts left are queued again (after their backoff); the
   * others are LOST.
   */
  async markSilentHostsLost(host: string, hostBound: string[], staleSecs: number): Promise<{ lost: number[]; retried: number[] }> {
    const silent = `status = ANY($4) AND runner = ANY($2) AND host IS DISTINCT FROM $1 AND heartbeat_at < now() - make_interval(secs => $3)`;
    const retries = `(settings -> 'retry' -> 'on') ? 'lost' AND attempts <= (settings -> 'retry' ->> 'max')::int`;
    const detail = `'the worker holding the run on ' || coalesce(host, '?') || ' stopped answering'`;
    const retried = returnedRows<{ id: number }>(
      await this.db.query(
        `UPDATE runs SET status = 'QUEUED', attempts = attempts + 1, last_error = ${detail}, detail = ${detail} || '; tried again',
                not_before = now() + make_interval(secs => (settings -> 'retry' ->> 'delayMs')::numeric / 1000 *
                  CASE WHEN settings -> 'retry' ->> 'backoff' = 'exponential' THEN power(2, attempts - 1) ELSE 1 END),
                worker_id = NULL, heartbeat_at = NULL, pid = NULL, started_at = NULL, deadline_at = NULL, stop_reason = NULL,
                limit_keys = '{}', output_offsets = '{"stdout":0,"stderr":0}', modified_at = now()
          WHERE ${silent} AND ${retries} RETURNING id`,
        [host, hostBound, staleSecs, HELD],
      ),
    );
    const lost = returnedRows<{ id: number }>(
      await this.db.query(
        `UPDATE runs SET status = 'LOST', finished_at = now(), modified_at = now(), worker_id = NULL, detail = ${detail}
          WHERE ${silent} RETURNING id`,
        [host, hostBound, staleSecs, HELD],
      ),
    );
    return { lost: lost.map((r) => r.id), retried: retried.map((r) => r.id) };
  }

  /** Queued runs old enough that their job should have been taken: the reconciler checks they still have one. */
  async queuedSince(olderThanSecs: number, limit: number): Promise<Run[]> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT * FROM runs WHERE status = 'QUEUED' AND created_at < now() - make_interval(secs => $1)
          AND (not_before IS NULL OR not_before < now() - make_interval(secs => $1)) ORDER BY id LIMIT $2`,
      [olderThanSecs, limit],
    );
    return rows.map((r) => this.fromRow(r));
  }

  // --- output ---

  /**
   * The chunks and the offsets they advance, in one statement, applied only if the stored progress
   * is still `from`: a retry of a write whose answer was lost (it did commit) changes nothing.
   * False when the stored progress was not `from`; read it with `outputProgress`.
   */
  async appendOutput(
    runId: number,
    chunks: { stream: 'stdout' | 'stderr'; data: Buffer }[],
    from: OutputProgress,
    to: OutputProgress,
  ): Promise<boolean> {
    const params: unknown[] = [
      runId,
      JSON.stringify(to.offsets),
      to.logBytes,
      to.logTruncatedBytes,
      JSON.stringify(from.offsets),
      from.logBytes,
      from.logTruncatedBytes,
    ];
    const moved = `UPDATE runs SET output_offsets = $2, log_bytes = $3, log_truncated_bytes = $4
                    WHERE id = $1 AND output_offsets = $5::jsonb AND log_bytes = $6 AND log_truncated_bytes = $7 RETURNING id`;
    if (chunks.length === 0) return returnedRows(await this.db.query(moved, params)).length > 0;
    const values = chunks.map((_, i) => `($${i * 2 + 8}::varchar, $${i * 2 + 9}::bytea)`).join(', ');
    const [row]: { applied: string }[] = await this.db.query(
      `WITH moved AS (${moved}),
            stored AS (INSERT INTO run_output (run_id, stream, data)
                       SELECT $1, v.stream, v.data FROM (VALUES ${values}) AS v(stream, data) WHERE EXISTS (SELECT 1 FROM moved))
       SELECT count(*) AS applied FROM moved`,
      [...params, ...chunks.flatMap((c) => [c.stream, c.data])],
    );
    return Number(row.applied) > 0;
  }

  /** How far the run's output has been stored. */
  async outputProgress(runId: number): Promise<OutputProgress> {
    const [row]: { output_offsets: OutputProgress['offsets']; log_bytes: string; log_truncated_bytes: string }[] = await this.db.query(
      `SELECT output_offsets, log_bytes, log_truncated_bytes FROM runs WHERE id = $1`,
      [runId],
    );
    return { offsets: row.output_offsets, logBytes: Number(row.log_bytes), logTruncatedBytes: Number(row.log_truncated_bytes) };
  }

  /**
   * Appends a chunk of one stream at `offset` only if that is where the stored stream ends: a chunk
   * sent twice (its answer lost) is stored once. Past the cap the offset still moves and the bytes are
   * counted as truncated. Answers the stream's stored end, after the append if it happened.
   */
  async appendOutputAt(
    runId: number,
    stream: 'stdout' | 'stderr',
    offset: number,
    data: Buffer,
    capBytes: number,
    /** What is stored of `data` (the same bytes with tokens masked); the offset moves by `data`'s length. */
    stored: Buffer = data,
  ): Promise<{ appended: boolean; offset: number } | null> {
    const rows: { next: string }[] = await this.db.query(
      `WITH cur AS (
         SELECT id, LEAST(octet_length($6::bytea)::bigint, GREATEST(0, $5::bigint - log_bytes)) AS kept FROM runs
          WHERE id = $1 AND status = ANY($7) AND coalesce((output_offsets ->> $2)::bigint, 0) = $3 FOR UPDATE),
       upd AS (
         UPDATE runs r SET output_offsets = jsonb_set(r.output_offsets, ARRAY[$2::text], to_jsonb($3::bigint + $4::bigint)),
                log_bytes = r.log_bytes + cur.kept, log_truncated_bytes = r.log_truncated_bytes + octet_length($6::bytea) - cur.kept
           FROM cur WHERE r.id = cur.id RETURNING cur.kept),
       ins AS (INSERT INTO run_output (run_id, stream, data) SELECT $1, $2, substring($6::bytea FROM 1 FOR kept::int) FROM upd WHERE kept > 0)
       SELECT $3::bigint + $4::bigint AS next FROM upd`,
      [runId, stream, offset, data.length, capBytes, stored, HELD],
    );
    if (rows.length > 0) return { appended: true, offset: Number(rows[0].next) };
    const run = await this.byId(runId);
    return run ? { appended: false, offset: run.outputOffsets[stream] ?? 0 } : null;
  }

  /** Runyard's own lines for a run whose output someone else stores: appended to stderr, its offsets untouched. */
  async appendNotes(runId: number, notes: Buffer[]): Promise<void> {
    const bytes = notes.reduce((n, b) => n + b.length, 0);
    const values = notes.map((_, i) => `($1, 'stderr', $${i + 3})`).join(', ');
    await this.db.query(
      `WITH notes AS (INSERT INTO run_output (run_id, stream, data) VALUES ${values}) UPDATE runs SET log_bytes = log_bytes + $2 WHERE id = $1`,
      [runId, bytes, ...notes],
    );
  }

  /** The run's output as stored: both streams in arrival order, or one of them. */
  async outputOf(id: number, stream?: 'stdout' | 'stderr'): Promise<Buffer> {
    const rows: { data: Buffer }[] = await this.db.query(
      `SELECT data FROM run_output WHERE run_id = $1 AND ($2::varchar IS NULL OR stream = $2) ORDER BY id`,
      [id, stream ?? null],
    );
    return Buffer.concat(rows.map((r) => r.data));
  }

  /**
   * The end of the output: at most `bytes`, and at most `lines` lines when given. Reads the newest
   * chunks a batch at a time until it has enough, whatever their sizes.
   */
  async outputTail(id: number, bytes: number, lines = Infinity): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    let newlines = 0;
    let before: string | null = null;
    while (size < bytes && newlines <= lines) {
      const rows: { id: string; data: Buffer }[] = await this.db.query(
        `SELECT id, data FROM run_output WHERE run_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT 256`,
        [id, before],
      );
      for (const r of rows) {
        parts.unshift(r.data);
        size += r.data.length;
        for (const b of r.data) if (b === 0x0a) newlines++;
        if (size >= bytes || newlines > lines) break;
      }
      if (rows.length < 256) break;
      before = rows[rows.length - 1].id;
    }
    return tailOf(Buffer.concat(parts), bytes, lines);
  }

  /** The run's output chunks stored after `afterId` (a `run_output.id`, '0' for the beginning), oldest first. */
  async outputAfter(runId: number, afterId: string, limit: number): Promise<OutputChunk[]> {
    const rows: { id: string; stream: 'stdout' | 'stderr'; data: Buffer }[] = await this.db.query(
      `SELECT id, stream, data FROM run_output WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [runId, afterId, limit],
    );
    return rows.map((r) => ({ id: String(r.id), stream: r.stream, data: r.data }));
  }

  // --- figures for /metrics ---

  countsByStatusAndKind(): Promise<{ status: RunStatus; kind: RunKind; n: string }[]> {
    return this.db.query(`SELECT status, kind, count(*) AS n FROM runs GROUP BY status, kind`);
  }

  /** Runs stopped by their TIMEOUT, and attempts made again by a RETRY policy. */
  async policyCounts(): Promise<{ timedOut: number; retried: number }> {
    const [row]: { timed_out: string; retried: string }[] = await this.db.query(
      `SELECT count(*) FILTER (WHERE stop_reason = 'timeout' AND status = 'FAILED') AS timed_out, coalesce(sum(attempts - 1), 0) AS retried FROM runs`,
    );
    return { timedOut: Number(row.timed_out), retried: Number(row.retried) };
  }

  /** Cumulative counts of runs whose wait (created → started) or duration (started → finished) is within each bound. */
  async histogram(of: 'wait' | 'duration', bounds: number[]): Promise<{ buckets: number[]; sum: number; count: number }> {
    const [from, to] = of === 'wait' ? ['created_at', 'started_at'] : ['started_at', 'finished_at'];
    const x = `extract(epoch FROM ${to} - ${from})`;
    const [row]: Record<string, string>[] = await this.db.query(
      `SELECT ${bounds.map((_, i) => `count(*) FILTER (WHERE ${x} <= $${i + 1}) AS b${i}`).join(', ')},
              coalesce(sum(${x}), 0) AS sum, count(*) AS count
         FROM runs WHERE ${from} IS NOT NULL AND ${to} IS NOT NULL`,
      bounds,
    );
    return { buckets: bounds.map((_, i) => Number(row[`b${i}`])), sum: Number(row.sum), count: Number(row.count) };
  }

  /** A statement that stands alone, on the pool (the submit path's INSERT among them); `prepared`: one of a run's every-time statements. */
  private async one(sql: string, params: unknown[], prepared = false): Promise<Run | null> {
    const [row] = await poolRows(this.db, sql, params, { prepared });
    return row ? this.fromRow(row) : null;
  }

  /** A transition that stands alone, on the pool: its statement says RETURNING id, so a row answered is a row changed. */
  private async changed(sql: string, params: unknown[], prepared = false): Promise<boolean> {
    return (await poolRows(this.db, sql, params, { prepared })).length > 0;
  }

  /**
   * A whole row by its columns' names, from the entity: statements prepared once per connection must name them
   * (a prepared `*` fails once a migration adds a column).
   */
  private get row(): string {
    return (this.columnList ??= this.entityColumns.map((c) => `"${c.databaseName}"`).join(', '));
  }

  private get entityColumns(): ColumnMetadata[] {
    return (this.columns ??= this.db.getMetadata(Run).columns);
  }

  /** A raw `runs` row (snake_case columns) as the entity, with the entity's transformers applied. */
  private fromRow(raw: Record<string, unknown>): Run {
    const run = new Run();
    for (const column of this.entityColumns) {
      const value = raw[column.databaseName];
      const transformer = column.transformer && !Array.isArray(column.transformer) ? column.transformer : undefined;
      (run as unknown as Record<string, unknown>)[column.propertyName] = transformer ? transformer.from(value) : value;
    }
    return run;
  }
}

/** The WHERE terms of a run filter and their parameters (an agent's runs: the host an AGENT run records is the agent's id). */
function filtered(f: Omit<RunFilter, 'limit' | 'before'>): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => where.push(sql.replace('?', `$${params.push(value)}`));
  if (f.expid) add('expid = ?', f.expid);
  if (f.status) add('status = ?', f.status);
  if (f.kind) add('kind = ?', f.kind);
  if (f.profile) add('profile_name = ?', f.profile);
  if (f.agent) add(`runner = 'AGENT' AND host = ?`, f.agent);
  if (f.requestedBy) add('requested_by = ?', f.requestedBy);
  return { where, params };
}
