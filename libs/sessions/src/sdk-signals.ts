import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ChannelListener, DATABASE_URL } from '@runyard/persistence';
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
  private readonly listener: ChannelListener;
  /** The process is shutting down: waits end at once, so no long-poll holds its HTTP server open. */
  closing = false;

  constructor(@Inject(DATABASE_URL) databaseUrl: string) {
    this.listener = new ChannelListener({
      databaseUrl,
      channel: SDK_CHANNEL,
      applicationName: 'runyard-sdk-signals',
      what: 'SDK wake-ups',
      onNotification: (payload) => payload && this.fire(payload),
      // Whatever happened while away is found by the next look at the rows.
      onConnected: () => {
        for (const topic of this.waiting.keys()) this.fire(topic);
      },
      log: this.log,
    });
  }

  arm(topic: string): Armed {
    this.listener.start();
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

  /**
   * What this process has just committed wakes its own waiters at once, without the round trip through
   * Postgres (whose notification, a moment later, finds them gone or looking again: harmless).
   */
  wake(topic: string): void {
    this.fire(topic);
  }

  private fire(topic: string): void {
    for (const wake of this.waiting.get(topic) ?? []) wake();
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const topic of [...this.waiting.keys()]) this.fire(topic);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener.close();
  }
}
