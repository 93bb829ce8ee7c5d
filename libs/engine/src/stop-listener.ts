import { Client } from 'pg';
import { STOP_CHANNEL } from '@runyard/runs';
import { sleep } from './retry';

export interface StopListenerLog {
  warn(message: string): void;
  log(message: string): void;
}

/**
 * LISTENs for stop requests on a connection of its own: a stop reaches the worker holding the run
 * as soon as it is committed. After a lost connection it reconnects and calls `resync`, so a
 * request announced while it was away is found in the rows (the heartbeat's poll finds it too).
 */
export class StopListener {
  private client?: Client;
  private closed = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly workerId: string,
    private readonly onStop: (runId: number) => void,
    private readonly resync: () => void,
    private readonly log: StopListenerLog,
  ) {}

  start(): void {
    void this.run();
  }

  private async run(): Promise<void> {
    let delay = 250;
    let failedBefore = false;
    while (!this.closed) {
      const client = new Client({
        connectionString: this.databaseUrl,
        connectionTimeoutMillis: 3_000,
        application_name: 'runyard-stop-listener',
      });
      const lost = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      try {
        await client.connect();
        client.on('notification', (n) => {
          const [worker, id] = (n.payload ?? '').split(' ');
          if (worker === this.workerId && /^\d+$/.test(id ?? '')) this.onStop(Number(id));
        });
        await client.query(`LISTEN ${STOP_CHANNEL}`);
        this.client = client;
        if (failedBefore) this.log.log('listening for stop requests again');
        failedBefore = false;
        delay = 250;
        this.resync();
        await lost;
      } catch (e) {
        if (!failedBefore) this.log.warn(`cannot listen for stop requests (polling meanwhile): ${(e as Error).message}`);
        failedBefore = true;
      }
      this.client = undefined;
      await client.end().catch(() => undefined);
      if (!this.closed) await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}
