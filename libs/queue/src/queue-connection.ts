import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Processor, Queue, Worker, WorkerOptions } from 'bullmq';
import type IORedis from 'ioredis';
import type { Cluster, RedisOptions } from 'ioredis';
import { Environment, parseRedisUrl, queuePrefix, RedisTarget } from '@runyard/config';
import { DATABASE_URL } from '@runyard/persistence';
import * as bullmq from './bullmq-classes';
import { ConnectionProblems } from './connection-problems';
import type { RunJob } from './queue-names';
import { connectRedis } from './redis-target';

/**
 * BullMQ's graceful close waits for Redis indefinitely: while it is away the worker closes at once
 * instead (a job it held, if any, is stalled and taken again), so a process stopped during an outage exits.
 */
class OutageAwareWorker<T> extends bullmq.Worker<T> {
  constructor(
    name: string,
    processor: Processor<T>,
    opts: WorkerOptions,
    private readonly redis: IORedis | Cluster,
  ) {
    super(name, processor, opts);
  }

  override close(force = false): Promise<void> {
    return super.close(force || this.redis.status !== 'ready');
  }
}

/**
 * Builds BullMQ queues and workers on Redis (REDIS_URL: one server, Sentinel or Cluster) or, without
 * it, on BullMQ's own PostgreSQL backend in the same database as the runs.
 */
@Injectable()
export class QueueConnection implements OnApplicationShutdown {
  private readonly log = new Logger('Queue');
  readonly backend: 'redis' | 'postgres';
  private readonly clients: (IORedis | Cluster)[] = [];
  private readonly target: RedisTarget | null;
  private readonly prefix: string;
  private readonly problems = new ConnectionProblems(this.log);

  constructor(
    private readonly env: Environment,
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
  ) {
    this.backend = env.REDIS_URL ? 'redis' : 'postgres';
    this.target = env.REDIS_URL ? parseRedisUrl(env.REDIS_URL) : null;
    this.prefix = this.target ? queuePrefix(this.target, env.QUEUE_PREFIX) : env.QUEUE_PREFIX;
  }

  createQueue<T = RunJob>(name: string): Queue<T> {
    const opts = {
      defaultJobOptions: {
        // Finished jobs are trimmed: the run row in Postgres is the record.
        removeOnComplete: { count: 1000, age: 24 * 3600 },
        removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
        attempts: 1,
      },
    };
    let queue: Queue<T>;
    if (this.backend === 'redis') {
      // Fail fast on enqueue when Redis is down instead of buffering the request forever.
      queue = new bullmq.Queue<T>(name, { ...opts, prefix: this.prefix, connection: this.redis({ enableOfflineQueue: false }) });
    } else {
      const { Queue: PgQueue } = bullmq.onPostgres();
      queue = new PgQueue<T>(name, { ...opts, connection: this.postgresConnection() }) as unknown as Queue<T>;
    }
    queue.on('error', (e: Error) => this.problems.report(`queue ${name}`, e));
    return queue;
  }

  createWorker<T = RunJob>(name: string, processor: Processor<T>, opts: Omit<WorkerOptions, 'connection'>): Worker<T> {
    let worker: Worker<T>;
    if (this.backend === 'redis') {
      const connection = this.redis({ maxRetriesPerRequest: null });
      worker = new OutageAwareWorker<T>(name, processor, { ...opts, prefix: this.prefix, connection }, connection);
    } else {
      const { Worker: PgWorker } = bullmq.onPostgres();
      worker = new PgWorker<T>(name, processor, { ...opts, connection: this.postgresConnection() }) as unknown as Worker<T>;
    }
    worker.on('error', (e: Error) => this.problems.report(`worker ${name}`, e));
    return worker;
  }

  private redis(extra: RedisOptions): IORedis | Cluster {
    const client = connectRedis(this.target!, extra);
    client.on('error', (e: Error) => this.problems.report('redis', e));
    client.on('ready', () => this.problems.recovered('redis'));
    this.clients.push(client);
    return client;
  }

  private postgresConnection() {
    return { connectionString: this.databaseUrl, migrate: true, max: 5 };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.clients.map((c) => c.quit()));
  }
}
