import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ChannelListener, DATABASE_URL } from '@runyard/persistence';
import { AGENT_EVENTS } from './agents.repository';

type Waiter = () => void;

/**
 * Wakes whoever waits for an agent event, heard on the agents' channel: a long poll for its agent's
 * work, a worker for its run's progress. A lost connection wakes every waiter (they look at the rows
 * again); a missed notification only costs the waiter's fallback interval.
 */
@Injectable()
export class WakeUps implements OnApplicationShutdown {
  private readonly log = new Logger('AgentWakeUps');
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly listener: ChannelListener;

  constructor(@Inject(DATABASE_URL) databaseUrl: string) {
    this.listener = new ChannelListener({
      databaseUrl,
      channel: AGENT_EVENTS,
      applicationName: 'runyard-agent-events',
      what: 'agent events',
      onNotification: (payload) => this.wake(payload),
      // Back, or gone: every waiter looks at the rows again.
      onConnected: () => this.wake(),
      onLost: () => this.wake(),
      log: this.log,
    });
  }

  /** Resolves on the event `key` (`work gpu1`, `job 12`), after `ms`, or when `signal` aborts, whichever is first. */
  wait(key: string, ms: number, signal?: AbortSignal): Promise<void> {
    this.listener.start();
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

  async onApplicationShutdown(): Promise<void> {
    this.wake();
    await this.listener.close();
  }
}
