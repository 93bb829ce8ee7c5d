import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { DATABASE_URL } from '@runyard/persistence';
import { SDK_CHANNEL } from './sessions.repository';

/** A wake-up a request waits for; armed before the request looks, so a change between the look and the wait is not missed. */
export interface Armed {
  fired: Promise<void>;
  cancel(): void;
}

/** Waits never trust the connection alone: at most this long between two looks at the rows. */
export const LOOK_AGAIN_MS = 2_000;

/**
 * One LISTEN connection per API process for the SDK's channel: a long-polling executor wakes when
 * calls arrive, a client when results are committed. Topics are the payloads (`c 12`, `r 12`).
 */
@Injectable()
export class SdkSignals implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly log = new Logger('SdkSignals');
  private readonly waiting = new Map<string, Set<() => void>>();
  private client?: Client;
  private started = false;
  private closed = false;
  /** The process is shutting down: waits end at once, so no long-poll holds its HTTP server open. */
  closing = false;

  constructor(@Inject(DATABASE_URL) private readonly databaseUrl: string) {}

  arm(topic: string): Armed {
    this.start();
    let wake!: () => void;
    const fired = new Promise<void>((resolve) => (wake = resolve));
    const set = this.waiting.get(topic) ?? new Set();
    set.add(wake);
    this.waiting.set(topic, set);
    const cancel = () => {
      set.delete(wake);
      if (set.size === 0 && this.waiting.get(topic) === set) this.waiting.delete(topic);
    };
    void fired.then(cancel);
    return { fired, cancel };
  }

  /** Waits for the armed wake-up, at most `ms` (and never longer than LOOK_AGAIN_MS); not at all once shutting down. */
  async wait(armed: Armed, ms: number): Promise<void> {
    if (this.closing) {
      armed.cancel();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([armed.fired, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, Math.min(ms, LOOK_AGAIN_MS)))))]);
    clearTimeout(timer);
    armed.cancel();
  }

  private fire(topic: string): void {
    for (const wake of this.waiting.get(topic) ?? []) wake();
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
        application_name: 'runyard-sdk-signals',
      });
      const lost = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      try {
        await client.connect();
        client.on('notification', (n) => n.payload && this.fire(n.payload));
        await client.query(`LISTEN ${SDK_CHANNEL}`);
        this.client = client;
        if (failedBefore) this.log.log('listening for SDK wake-ups again');
        failedBefore = false;
        delay = 250;
        // Whatever happened while away is found by the next look at the rows.
        for (const topic of this.waiting.keys()) this.fire(topic);
        await lost;
      } catch (e) {
        if (!failedBefore)
          this.log.warn(`cannot listen for SDK wake-ups (looking every ${LOOK_AGAIN_MS} ms meanwhile): ${(e as Error).message}`);
        failedBefore = true;
      }
      this.client = undefined;
      await client.end().catch(() => undefined);
      if (!this.closed) await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const topic of [...this.waiting.keys()]) this.fire(topic);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}
