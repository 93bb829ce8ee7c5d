import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Environment } from '@runyard/config';
import { Run } from '@runyard/persistence';
import { RunQueues } from '@runyard/queue';
import { returnedRows as returned, RunsRepository } from '@runyard/runs';
import { RunExecutor } from './run-executor';

/**
 * Makes sure no run stays unfinished forever: re-attaches this host's runs whose worker is gone,
 * marks runs on hosts whose workers stopped answering LOST, and re-enqueues queued runs whose
 * job was lost with Redis.
 */
@Injectable()
export class Reconciler {
  private readonly log = new Logger('Reconciler');

  constructor(
    private readonly db: DataSource,
    private readonly repo: RunsRepository,
    private readonly executor: RunExecutor,
    private readonly queues: RunQueues,
    private readonly env: Environment,
  ) {}

  async reconcile(): Promise<void> {
    await this.adoptOrphans();
    await this.markLost();
    await this.requeueLostJobs();
  }

  /** LOCAL runs can only be re-attached on their host; SSH runs by any worker (their state is on the remote host). */
  private async adoptOrphans(): Promise<void> {
    const ids = returned<{ id: number }>(
      await this.db.query(
        `UPDATE runs SET worker_id = $1, heartbeat_at = now()
        WHERE id IN (
          SELECT id FROM runs
           WHERE status IN ('STARTING','ACTIVE','STOPPING') AND (host = $2 OR runner <> 'LOCAL')
             AND (worker_id IS NULL OR heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $3))
           FOR UPDATE SKIP LOCKED)
        RETURNING id`,
        [this.executor.workerId, this.executor.host, this.env.LOST_AFTER_MS / 1000],
      ),
    );
    for (const { id } of ids) {
      const run = await this.repo.byId(id);
      if (run) await this.executor.adopt(run).catch((e) => this.log.error(`re-attaching run ${id}: ${(e as Error).message}`));
    }
  }

  /** Another host's worker that stopped answering for three times LOST_AFTER_MS is not coming back for its LOCAL runs. */
  private async markLost(): Promise<void> {
    const lost = returned<{ id: number }>(
      await this.db.query(
        `UPDATE runs SET status = 'LOST', finished_at = now(), worker_id = NULL,
              detail = 'the worker holding the run on ' || coalesce(host, '?') || ' stopped answering'
        WHERE status IN ('STARTING','ACTIVE','STOPPING') AND runner = 'LOCAL' AND host IS DISTINCT FROM $1
          AND heartbeat_at < now() - make_interval(secs => $2)
        RETURNING id`,
        [this.executor.host, (3 * this.env.LOST_AFTER_MS) / 1000],
      ),
    );
    if (lost.length > 0) this.log.warn(`runs marked LOST: ${lost.map((r) => r.id).join(', ')}`);
  }

  /** Postgres is the truth and Redis may be lost: a queued run without a job gets its job again. */
  private async requeueLostJobs(): Promise<void> {
    const queued = await this.repo.runs
      .createQueryBuilder('r')
      .where(`r.status = 'QUEUED' AND r.created_at < now() - interval '30 seconds'`)
      .orderBy('r.id')
      .limit(500)
      .getMany();
    for (const run of queued as Run[]) {
      if (!(await this.queues.hasJob(run))) {
        this.log.warn(`run ${run.id} had no job in the queue: enqueued again`);
        await this.queues.enqueue(run);
      }
    }
  }
}
