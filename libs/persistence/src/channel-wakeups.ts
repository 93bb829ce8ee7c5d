import { ChannelListener, ChannelListenerOptions } from './channel-listener';

/**
 * A wake-up a request waits for; armed before the request looks, so a change between the look and the wait is not missed.
 * It fires with the news its waker in this process handed over (undefined through Postgres, or without news).
 */
export interface Armed {
  fired: Promise<unknown>;
  cancel(): void;
}

/** Waits never trust the connection alone: at most this long between two looks at the rows. */
export const LOOK_AGAIN_MS = 2_000;

/**
 * One LISTEN connection per process for a channel whose payloads are topics (`c 12`, `run 7`): whoever
 * waits for a topic is woken when it is announced, and everyone when the connection comes back (what
 * happened while away is found by the next look at the rows).
 */
export class ChannelWakeups {
  private readonly waiting = new Map<string, Set<(news?: unknown) => void>>();
  private readonly listener: ChannelListener;
  /** The process is shutting down: waits end at once, so no long poll holds its HTTP server open. */
  closing = false;

  constructor(opts: Omit<ChannelListenerOptions, 'onNotification' | 'onConnected' | 'onLost'>) {
    this.listener = new ChannelListener({
      ...opts,
      onNotification: (payload) => payload && this.wake(payload),
      onConnected: () => {
        for (const topic of [...this.waiting.keys()]) this.wake(topic);
      },
    });
  }

  arm(topic: string): Armed {
    this.listener.start();
    let wake!: (news?: unknown) => void;
    const fired = new Promise<unknown>((resolve) => (wake = resolve));
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

  /**
   * Waits for the armed wake-up, at most `ms` (and never longer than LOOK_AGAIN_MS); not at all once shutting down.
   * Answers the news handed over with the wake-up, if any.
   */
  async wait(armed: Armed, ms: number): Promise<unknown> {
    if (this.closing) {
      armed.cancel();
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    const news = await Promise.race([
      armed.fired,
      new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), Math.max(0, Math.min(ms, LOOK_AGAIN_MS))))),
    ]);
    clearTimeout(timer);
    armed.cancel();
    return news;
  }

  /**
   * Wakes the topic's waiters in this process. What this process has just committed wakes its own waiters at
   * once, without the round trip through Postgres (whose notification, a moment later, finds them gone or
   * looking again: harmless). `news`, what was committed, spares a waiter that only needs it a look at the rows.
   */
  wake(topic: string, news?: unknown): void {
    for (const wake of this.waiting.get(topic) ?? []) wake(news);
  }

  /** Shutting down (a Nest hook of every subclass): every wait ends now and none starts again. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const topic of [...this.waiting.keys()]) this.wake(topic);
  }

  onApplicationShutdown(): Promise<void> {
    return this.listener.close();
  }
}
