import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { DATABASE_URL } from '@runyard/persistence';
import { AGENT_EVENTS } from './agents.repository';

type Waiter = () => void;

/**
 * LISTENs on the agents' channel on a connection of its own and wakes whoever waits for an event:
 * a long poll for its agent's work, a worker for its run's progress. A lost connection wakes every
 * waiter (they look at the rows again) and is re-established; nothing is decided by a notification
 * alone, so a missed one only costs the waiter's fallback interval.
 */
@Injectable()
export class WakeUps implements OnApplicationShutdown {
  private readonly log = new Logger('AgentWakeUps');
  private readonly waiters = new Map<string, Set<Waiter>>();
  private client?: Client;
  private started = false;
  private closed = false;

  constructor(@Inject(DATABASE_URL) private readonly databaseUrl: string) {}

  /** Resolves on the event `key` (`work gpu1`, `job 12`), after `ms`, or when `signal` aborts, whichever is first. */
  wait(key: string, ms: number, signal?: AbortSignal): Promise<void> {
    this.start();
    return new Promise((resolve) => {
      const set = this.waiters.get(key) ?? new Set<Waiter>();
      this.waiters.set(key, set);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done);
      set.add(done);
    });
  }

  private wake(key?: string): void {
    const sets = key === undefined ? [...this.waiters.values()] : [this.waiters.get(key)];
    for (const set of sets) for (const w of [...(set ?? [])]) w();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    void this.listen();
  }

  private async listen(): Promise<void> {
    let delay = 250;
    let failedBefore = false;
    while (!this.closed) {
      const client = new Client({
        connectionString: this.databaseUrl,
        connectionTimeoutMillis: 3_000,
        application_name: 'runyard-agent-events',
      });
      const lost = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      try {
        await client.connect();
        client.on('notification', (n) => this.wake(n.payload ?? ''));
        await client.query(`LISTEN ${AGENT_EVENTS}`);
        this.client = client;
        if (failedBefore) this.log.log('listening for agent events again');
        failedBefore = false;
        delay = 250;
        this.wake();
        await lost;
      } catch (e) {
        if (!failedBefore) this.log.warn(`cannot listen for agent events (polling meanwhile): ${(e as Error).message}`);
        failedBefore = true;
      }
      this.client = undefined;
      await client.end().catch(() => undefined);
      this.wake();
      if (!this.closed) await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.wake();
    await this.client?.end().catch(() => undefined);
  }
}
