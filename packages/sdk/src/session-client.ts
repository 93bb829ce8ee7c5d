import { randomUUID } from 'node:crypto';
import { ApiClient, errorFrom } from './api-client';
import { decode, encodeArgs } from './codec';
import { DependencyFailedError, remoteError, RemoteErrorInfo, RunyardError } from './errors';
import { ObjectFuture } from './object-future';

/** Arguments (encoded) up to this size travel with the call; larger ones are put as an object first. */
const INLINE_ARGS = 64 * 1024;
/** One submission carries at most this many calls, or about this many bytes. */
const BATCH_CALLS = 1000;
const BATCH_BYTES = 512 * 1024;
const WAIT_MS = 25_000;
/** Long-polls for results of one session at once; a new wait beyond it takes over the oldest. */
const MAX_POLLS = 4;
/** Calls one long-poll names by id (those whose sequence number it does not know yet), and ranges of the others. */
const POLL_IDS = 256;
const POLL_RANGES = 256;

interface Pending {
  id: string;
  method: string;
  args: Buffer;
  refs: string[];
  futures: ObjectFuture<unknown>[];
  submitted: { resolve: () => void; reject: (e: unknown) => void };
  seq?: number;
}

interface Waiter<T> {
  call: Pending;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

interface FinishedCall {
  seq: number;
  key: string;
  state: 'ready' | 'failed';
  data: string | null;
  error: RemoteErrorInfo | null;
}

/**
 * One session seen from the client: calls are queued and submitted in order (a batch per round
 * trip, never two at once, so sequence numbers follow the program's order), and results are
 * long-polled for the futures someone awaits — from the moment they are awaited, by the call's own
 * id, so a call's wait travels beside its submission instead of after it.
 */
export class SessionClient {
  private queue: Pending[] = [];
  private sending = false;
  /** By call id. */
  private readonly waiting = new Map<string, Waiter<unknown>>();
  private readonly uncovered = new Set<string>();
  private readonly polls = new Set<{ ids: Set<string>; abort: AbortController }>();
  private pollScheduled = false;
  closed = false;

  constructor(
    private readonly api: ApiClient,
    readonly application: string,
    readonly id: number,
    /** Its name: the one the client chose, else `{application}-{id}`. */
    readonly name: string,
  ) {}

  /** Queues a call; the future is usable (as an argument too) at once. Arguments that cannot be sent throw here. */
  call<T>(method: string, args: unknown[]): ObjectFuture<T> {
    if (this.closed) throw new RunyardError(`the service (session ${this.id}) is closed`);
    let encoded: ReturnType<typeof encodeArgs>;
    try {
      encoded = encodeArgs(args);
    } catch (e) {
      throw new RunyardError(`the arguments of ${method} cannot be sent: ${(e as Error).message}`);
    }
    const id = randomUUID().replace(/-/g, '');
    let submitted!: Pending['submitted'];
    const done = new Promise<void>((resolve, reject) => (submitted = { resolve, reject }));
    const pending: Pending = { id, method, args: encoded.bytes, refs: encoded.refs, futures: encoded.futures, submitted };
    this.queue.push(pending);
    if (!this.sending) queueMicrotask(() => void this.send());
    const key = `${this.application}/${this.id}/${id}`;
    let finished: Promise<unknown> | undefined;
    const settle = () => (finished ??= Promise.all([this.finished(pending), done]).then(([v]) => v));
    return new ObjectFuture<T>(
      key,
      done,
      async () => {
        const v = await settle();
        return v === LARGE ? this.download<T>(key) : (v as T);
      },
      async () => void (await settle()),
    );
  }

  private async send(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const batch: Pending[] = [];
        let bytes = 0;
        while (this.queue.length > 0 && batch.length < BATCH_CALLS && bytes < BATCH_BYTES) {
          const next = this.queue.shift()!;
          batch.push(next);
          bytes += next.args.length <= INLINE_ARGS ? next.args.length : 0;
        }
        await this.submit(batch);
      }
    } finally {
      this.sending = false;
    }
  }

  private async submit(batch: Pending[]): Promise<void> {
    const calls: Record<string, unknown>[] = [];
    const sent: Pending[] = [];
    for (const p of batch) {
      try {
        // Calls of other batches or sessions must be stored before a call naming them (never their results).
        const elsewhere = p.futures.filter((f) => !batch.some((b) => f.key.endsWith(`/${b.id}`)));
        await Promise.all(elsewhere.map((f) => f.submitted)).catch((e: Error) => {
          throw new DependencyFailedError('DependencyFailedError', `an argument's call could not be submitted: ${e.message}`);
        });
        const args = p.args.length > INLINE_ARGS ? { args_key: await this.put(p.args) } : { args: p.args.toString('base64') };
        calls.push({ id: p.id, method: p.method, refs: p.refs, ...args });
        sent.push(p);
      } catch (e) {
        this.fail(p, e);
      }
    }
    if (sent.length === 0) return;
    try {
      const answer = await this.api.json<{ calls: { seq: number }[] }>(
        'POST',
        `/api/v1/sessions/${this.id}/calls`,
        { calls },
        [200, 201],
        true,
      );
      answer.calls.forEach((c, i) => (sent[i].seq = c.seq));
      sent.forEach((p) => p.submitted.resolve());
    } catch (e) {
      sent.forEach((p) => this.fail(p, e));
    }
  }

  /** A call that could not be submitted: its future fails, and nobody waits for its result any more. */
  private fail(p: Pending, e: unknown): void {
    p.submitted.reject(e);
    const w = this.waiting.get(p.id);
    this.waiting.delete(p.id);
    this.uncovered.delete(p.id);
    w?.reject(e);
  }

  private async put(bytes: Buffer): Promise<string> {
    const res = await this.api.request('PUT', `/api/v1/objects/${this.application}/${this.id}?codec=v8`, {
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (res.status !== 201) throw errorFrom(res.status, res.body);
    return (JSON.parse(res.body.toString('utf8')) as { key: string }).key;
  }

  /** The call's outcome once it has run: a small result itself, LARGE for one that is downloaded apart. */
  private finished(call: Pending): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      this.waiting.set(call.id, { call, resolve, reject });
      this.uncovered.add(call.id);
      this.schedulePoll();
    });
  }

  private schedulePoll(): void {
    if (this.pollScheduled) return;
    this.pollScheduled = true;
    queueMicrotask(() => {
      this.pollScheduled = false;
      if (this.uncovered.size === 0) return;
      if (this.polls.size >= MAX_POLLS) {
        const oldest = this.polls.values().next().value!;
        this.polls.delete(oldest);
        oldest.abort.abort();
        for (const id of oldest.ids) if (this.waiting.has(id)) this.uncovered.add(id);
      }
      const ids = new Set(this.uncovered);
      this.uncovered.clear();
      void this.poll(ids);
    });
  }

  /** Long-polls until every call it covers has finished (or it is taken over). */
  private async poll(ids: Set<string>): Promise<void> {
    const me = { ids, abort: new AbortController() };
    this.polls.add(me);
    try {
      while (this.polls.has(me)) {
        for (const id of [...ids]) if (!this.waiting.has(id)) ids.delete(id);
        if (ids.size === 0) return;
        let res;
        try {
          res = await this.api.request('GET', `/api/v1/sessions/${this.id}/results?${this.wanted(ids)}wait_ms=${WAIT_MS}`, {
            signal: me.abort.signal,
          });
        } catch (e) {
          if ((e as Error).name === 'AbortError') return;
          throw e;
        }
        if (res.status !== 200) throw errorFrom(res.status, res.body);
        const answer = JSON.parse(res.body.toString('utf8')) as { results: FinishedCall[] };
        for (const r of answer.results) {
          const id = r.key.slice(r.key.lastIndexOf('/') + 1);
          const w = this.waiting.get(id);
          if (!w) continue;
          this.waiting.delete(id);
          ids.delete(id);
          if (r.state === 'failed') w.reject(remoteError(r.error ?? { type: 'Error', message: 'the call failed' }));
          else if (r.data === null) w.resolve(LARGE);
          else {
            try {
              w.resolve(decode(Buffer.from(r.data, 'base64')));
            } catch (e) {
              w.reject(e);
            }
          }
        }
      }
    } catch (e) {
      for (const id of ids) {
        this.waiting.get(id)?.reject(e);
        this.waiting.delete(id);
      }
    } finally {
      this.polls.delete(me);
      if (this.uncovered.size > 0) this.schedulePoll();
    }
  }

  /** The query naming the calls: those numbered as ranges, the others (not answered yet) by id. */
  private wanted(ids: Set<string>): string {
    const seqs = new Set<number>();
    const unnumbered: string[] = [];
    for (const id of ids) {
      const seq = this.waiting.get(id)?.call.seq;
      if (seq !== undefined) seqs.add(seq);
      else if (unnumbered.length < POLL_IDS) unnumbered.push(id);
    }
    return (seqs.size > 0 ? `seqs=${ranges(seqs)}&` : '') + (unnumbered.length > 0 ? `ids=${unnumbered.join(',')}&` : '');
  }

  /** A result too large to come inline. */
  private async download<T>(key: string): Promise<T> {
    for (;;) {
      const res = await this.api.request('GET', `/api/v1/objects/${key}?wait_ms=${WAIT_MS}`, { headers: { accept: '*/*' } });
      if (res.status === 200) return decode<T>(res.body);
      if (res.status === 202) continue;
      const err = errorFrom(res.status, res.body);
      if (res.status === 424 && err.body.remote_error) throw remoteError(err.body.remote_error as RemoteErrorInfo);
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.send();
    this.closed = true;
    await this.api.json('DELETE', `/api/v1/sessions/${this.id}`);
  }
}

const LARGE = Symbol('fetched apart');

/** `0-99,105,200-300`: the sequence numbers, at most POLL_RANGES ranges (the rest waits for the next poll). */
function ranges(seqs: Set<number>): string {
  const sorted = [...seqs].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length && out.length < POLL_RANGES;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
