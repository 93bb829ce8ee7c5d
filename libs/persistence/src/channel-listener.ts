import type { Client } from 'pg';
import { postgresClientFor } from './postgres-hosts';

export interface ChannelListenerOptions {
  databaseUrl: string;
  /** The Postgres channel (a constant of the code, never user input). */
  channel: string;
  /** Its `application_name`, and what the log lines call it (`stop requests`). */
  applicationName: string;
  what: string;
  onNotification(payload: string): void;
  /** (Re)connected: whatever was announced while away is found by looking at the rows again. */
  onConnected?(): void;
  /** The connection is gone (or could not be made): waiters should look at the rows themselves. */
  onLost?(): void;
  log: { warn(message: string): void; log(message: string): void };
}

/**
 * LISTENs on one channel on a connection of its own, reconnecting with backoff after a loss. Nothing
 * should be decided by a notification alone: it only says when to look at the rows, so a missed one
 * costs no more than the caller's fallback interval. One log line when listening stops, one when it
 * is back.
 */
export class ChannelListener {
  private client?: Client;
  private started = false;
  private closed = false;

  constructor(private readonly opts: ChannelListenerOptions) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    void this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { opts } = this;
    let delay = 250;
    let failedBefore = false;
    const postgres = postgresClientFor(opts.databaseUrl);
    while (!this.closed) {
      const client: Client = new postgres.Client({
        connectionString: postgres.url,
        connectionTimeoutMillis: 3_000,
        application_name: opts.applicationName,
      });
      const lost = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      try {
        await client.connect();
        client.on('notification', (n) => opts.onNotification(n.payload ?? ''));
        await client.query(`LISTEN ${opts.channel}`);
        this.client = client;
        if (failedBefore) opts.log.log(`listening for ${opts.what} again`);
        failedBefore = false;
        delay = 250;
        opts.onConnected?.();
        await lost;
      } catch (e) {
        if (!failedBefore) opts.log.warn(`cannot listen for ${opts.what} (looking at the rows meanwhile): ${(e as Error).message}`);
        failedBefore = true;
      }
      this.client = undefined;
      await client.end().catch(() => undefined);
      opts.onLost?.();
      if (!this.closed) await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
