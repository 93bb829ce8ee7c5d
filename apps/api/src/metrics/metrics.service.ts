import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { AgentsService } from '@runyard/agents';
import { KernelQueue } from '@runyard/kernelci';
import { answerWithin, RunQueues } from '@runyard/queue';
import { RunsRepository } from '@runyard/runs';
import { ScheduleQueue, SchedulesRepository } from '@runyard/schedules';
import { gauge, histogram } from './prometheus-text';

const WAIT_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const DURATION_BOUNDS = [0.1, 1, 5, 30, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400];
const CACHE_MS = 1000;
/** A scrape while Redis is away answers without the queue's figures rather than never. */
const QUEUE_FIGURES_MS = 2000;

/**
 * /metrics: this process's own figures (prom-client defaults) plus the system's, read from Postgres and
 * the queues, so every API instance answers the same whatever worker ran what.
 */
@Injectable()
export class MetricsService {
  private readonly registry = new Registry();
  private cached?: { at: number; text: Promise<string> };

  constructor(
    private readonly db: DataSource,
    private readonly runs: RunsRepository,
    private readonly runQueues: RunQueues,
    private readonly kernelQueue: KernelQueue,
    private readonly agents: AgentsService,
    private readonly scheduleQueue: ScheduleQueue,
    private readonly schedules: SchedulesRepository,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'runyard_api_' });
  }

  async text(): Promise<string> {
    if (!this.cached || Date.now() - this.cached.at > CACHE_MS) {
      this.cached = { at: Date.now(), text: this.systemText() };
      this.cached.text.catch(() => (this.cached = undefined));
    }
    return `${await this.registry.metrics()}\n${await this.cached.text}\n`;
  }

  private async systemText(): Promise<string> {
    const runs = await this.runs.countsByStatusAndKind();
    const policies = await this.runs.policyCounts();
    const failures: { runner: string; outcome: string; n: string }[] = await this.db.query(
      `SELECT runner, outcome, count(*) AS n FROM runner_callbacks WHERE outcome IN ('bad-signature','missing-signature') GROUP BY runner, outcome`,
    );
    const schedules = await this.schedules.counters();
    const queues = [...Object.values(this.runQueues.queues), this.kernelQueue.queue, this.scheduleQueue.queue];
    const figures = Promise.all([
      Promise.all(queues.map(async (q) => ({ name: q.name, counts: await q.getJobCounts('waiting', 'active', 'delayed', 'failed') }))),
      queues[0].getWorkersCount().catch(() => 0),
    ]);
    const [depth, workerCount] = await answerWithin(figures, QUEUE_FIGURES_MS, () => new Error('queue figures')).catch(
      () => [[], null] as const,
    );
    const agents = await this.agents.figures();
    return [
      gauge(
        'runyard_runs',
        'Runs by status and kind.',
        'gauge',
        runs.map((r) => ({ labels: { status: r.status, kind: r.kind }, value: Number(r.n) })),
      ),
      gauge(
        'runyard_queue_jobs',
        'Jobs in each queue by state.',
        'gauge',
        depth.flatMap((d) => Object.entries(d.counts).map(([state, n]) => ({ labels: { queue: d.name, state }, value: n }))),
      ),
      gauge('runyard_runs_timed_out_total', 'Runs stopped by their TIMEOUT.', 'counter', [{ labels: {}, value: policies.timedOut }]),
      gauge('runyard_runs_retried_total', 'Attempts made again by a RETRY policy.', 'counter', [{ labels: {}, value: policies.retried }]),
      gauge(
        'runyard_workers',
        'Worker processes consuming the runs queue.',
        'gauge',
        workerCount === null ? [] : [{ labels: {}, value: workerCount }],
      ),
      gauge(
        'runyard_agents',
        'Runner agents by status.',
        'gauge',
        Object.entries(agents.byStatus).map(([status, n]) => ({ labels: { status }, value: n })),
      ),
      gauge(
        'runyard_agent_active_runs',
        'Runs each runner agent holds now.',
        'gauge',
        agents.active.map((a) => ({ labels: { agent: a.id }, value: a.runs })),
      ),
      gauge(
        'runyard_callback_verification_failures_total',
        'Runner-service callbacks refused for a missing or bad signature.',
        'counter',
        failures.map((f) => ({ labels: { runner: f.runner, reason: f.outcome }, value: Number(f.n) })),
      ),
      gauge(
        'runyard_schedule_fires_total',
        'Runs a schedule started.',
        'counter',
        schedules.map((s) => ({ labels: { schedule: s.name }, value: s.fires })),
      ),
      gauge(
        'runyard_schedule_skips_total',
        'Fires a schedule skipped because its experiment was still running (overlap).',
        'counter',
        schedules.map((s) => ({ labels: { schedule: s.name }, value: s.skips })),
      ),
      await this.histogramOf('runyard_run_wait_seconds', 'From accepted to started.', 'wait', WAIT_BOUNDS),
      await this.histogramOf('runyard_run_duration_seconds', 'From started to finished.', 'duration', DURATION_BOUNDS),
    ].join('\n');
  }

  private async histogramOf(name: string, help: string, of: 'wait' | 'duration', bounds: number[]): Promise<string> {
    const h = await this.runs.histogram(of, bounds);
    return histogram(name, help, bounds, h.buckets, h.sum, h.count);
  }
}
