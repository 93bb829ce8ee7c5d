import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm';
import { Run, RunKind, RunOutput, RunStatus, UNFINISHED_STATUSES } from '@runyard/persistence';

export interface RunFilter {
  expid?: string;
  status?: RunStatus;
  kind?: RunKind;
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

/** TypeORM answers an UPDATE … RETURNING on Postgres as [rows, count]. */
export const returnedRows = <T>(result: unknown): T[] => (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : (result as T[]));

const UNIQUE_VIOLATION = '23505';
export const isUniqueViolation = (e: unknown): boolean => (e as { code?: string })?.code === UNIQUE_VIOLATION;

/** Every query on runs and their output. */
@Injectable()
export class RunsRepository {
  readonly runs: Repository<Run>;
  readonly output: Repository<RunOutput>;

  constructor(readonly dataSource: DataSource) {
    this.runs = dataSource.getRepository(Run);
    this.output = dataSource.getRepository(RunOutput);
  }

  /** One INSERT … RETURNING of the generated columns (save() would wrap it in a transaction: three round trips). */
  async insert(run: Partial<Run>): Promise<Run> {
    const res = await this.runs
      .createQueryBuilder()
      .insert()
      .into(Run)
      .values(run as never)
      .execute();
    return this.runs.create({ ...run, ...(res.generatedMaps[0] as Partial<Run>) });
  }

  /** QUEUED → STARTING for this worker, answering the row in the same statement; null if someone else moved it. */
  async claim(id: number, workerId: string, host: string): Promise<Run | null> {
    const [raw]: Record<string, unknown>[] = await this.dataSource
      .query(
        `UPDATE runs SET status = 'STARTING', worker_id = $2, host = $3, heartbeat_at = now(), modified_at = now()
        WHERE id = $1 AND status = 'QUEUED' RETURNING *`,
        [id, workerId, host],
      )
      .then((r) => returnedRows<Record<string, unknown>>(r));
    return raw ? this.fromRow(raw) : null;
  }

  /** A raw `runs` row (snake_case columns) as the entity, with the entity's transformers applied. */
  fromRow(raw: Record<string, unknown>): Run {
    const run = this.runs.create();
    for (const column of this.dataSource.getMetadata(Run).columns) {
      const value = raw[column.databaseName];
      const transformer = column.transformer && !Array.isArray(column.transformer) ? column.transformer : undefined;
      (run as unknown as Record<string, unknown>)[column.propertyName] = transformer ? transformer.from(value) : value;
    }
    return run;
  }

  byId(id: number): Promise<Run | null> {
    return this.runs.findOneBy({ id });
  }

  /** The experiment's latest run (the one the Autosubmit status endpoints describe). */
  latestRunOf(expid: string): Promise<Run | null> {
    return this.runs.findOne({ where: { expid, kind: 'run' }, order: { id: 'DESC' } });
  }

  unfinishedRunOf(expid: string): Promise<Run | null> {
    return this.runs
      .createQueryBuilder('r')
      .where('r.expid = :expid AND r.kind = :kind AND r.status IN (:...s)', { expid, kind: 'run', s: UNFINISHED_STATUSES })
      .getOne();
  }

  list(f: RunFilter): Promise<Run[]> {
    const q = this.runs.createQueryBuilder('r').orderBy('r.id', 'DESC').limit(f.limit);
    if (f.expid) q.andWhere('r.expid = :expid', { expid: f.expid });
    if (f.status) q.andWhere('r.status = :status', { status: f.status });
    if (f.kind) q.andWhere('r.kind = :kind', { kind: f.kind });
    if (f.before) q.andWhere('r.id < :before', { before: f.before });
    return q.getMany();
  }

  /** Moves a run from one status to another only if it is still in `from`; false if someone else moved it. */
  async transition(id: number, from: readonly RunStatus[], set: Partial<Run>): Promise<boolean> {
    const res = await this.runs
      .createQueryBuilder()
      .update(Run)
      .set(set as QueryDeepPartialEntity<Run>)
      .where('id = :id AND status IN (:...from)', { id, from })
      .execute();
    return (res.affected ?? 0) > 0;
  }

  async outputOf(id: number): Promise<Buffer> {
    const rows = await this.output.find({ where: { runId: id }, order: { id: 'ASC' }, select: { data: true, id: true } });
    return Buffer.concat(rows.map((r) => r.data));
  }

  /** The last `bytes` of the output at most, read from the newest chunks only (a run may have stored megabytes). */
  async outputTail(id: number, bytes: number): Promise<Buffer> {
    const rows: { data: Buffer }[] = await this.dataSource.query(
      `SELECT data FROM run_output WHERE run_id = $1 ORDER BY id DESC LIMIT $2`,
      [id, Math.max(1, Math.ceil(bytes / 1024))],
    );
    const newestLast = Buffer.concat(rows.reverse().map((r) => r.data));
    return newestLast.subarray(Math.max(0, newestLast.length - bytes));
  }

  /** The run's output chunks stored after `afterId` (a `run_output.id`, '0' for the beginning), oldest first. */
  outputAfter(runId: number, afterId: string, limit: number): Promise<OutputChunk[]> {
    return this.output
      .createQueryBuilder('o')
      .select(['o.id', 'o.stream', 'o.data'])
      .where('o.runId = :runId AND o.id > :afterId', { runId, afterId })
      .orderBy('o.id', 'ASC')
      .limit(limit)
      .getMany();
  }
}
