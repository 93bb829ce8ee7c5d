import { arch, platform } from 'node:os';
import { join } from 'node:path';
import {
  AgentCommand,
  AgentJob,
  HeartbeatAnswer,
  JobState,
  MAX_OUTPUT_CHUNK,
  OutputAnswer,
  PollAnswer,
  PollRequest,
  RotateAnswer,
  StreamOffsets,
} from '@runyard/agent-protocol';
import type { ExitInfo } from '../../../../libs/runners/src/runner';
import { backoff, log, sleep } from '../agent-log';
import { detectRuntimes, LocalJobs, LocalRun } from '../local-jobs';
import { StateFile } from '../state-file';
import { Answer, messageOf, RunyardClient, Unreachable } from './runyard-client';

export const AGENT_VERSION = '0.1.0';
const UPLOAD_EVERY_MS = 100;
/** A run's token stops working when it finished or was taken back: the run is no longer this agent's. */
const GONE = [401, 404, 410];
const STREAMS = ['stdout', 'stderr'] as const;

export interface PullConfig {
  url: string;
  agentId: string;
  /** From RUNYARD_AGENT_SECRET: used until a rotation stores another in the state file. */
  secret?: string;
  stateDir: string;
  concurrency: number;
  cancelGraceMs: number;
}

interface OwnedRun extends LocalRun {
  token: string;
}

interface PullState {
  secret?: string;
  runs: Record<string, OwnedRun>;
}

interface Tracked {
  owned: OwnedRun;
  signalSeq: number;
}

/**
 * The pull agent: outbound HTTP only. Heartbeats, a long poll for work that also brings signals
 * and commands for its runs, a job token per run, output appended by byte offset (a retried chunk
 * is never stored twice), finish repeated until it lands. Its runs are detached processes under the
 * LOCAL runner: an agent that restarts re-attaches to them from its state file. SIGTERM drains (no
 * new work; running runs finish); a second SIGTERM stops them (SIGTERM, grace, SIGKILL).
 */
export class PullAgent {
  private readonly client: RunyardClient;
  private readonly state: StateFile<PullState>;
  private readonly jobs: LocalJobs;
  private readonly runtimes = detectRuntimes();
  private secret = '';
  private readonly running = new Map<number, Tracked>();
  private readonly starting = new Set<number>();
  private readonly commands = new Set<string>();
  private heartbeatMs = 10_000;
  private draining = false;
  private cancelling = false;
  private poll?: AbortController;
  /** The free slots the open poll asked work for; a slot freed beyond them sends a new poll at once. */
  private asked = 0;
  private repoll = false;
  /** The open poll's number: from the clock (µs) so that it goes on increasing across restarts. */
  private pollSeq = 0;
  private heartbeatTimer?: NodeJS.Timeout;
  private persisting: Promise<void> = Promise.resolve();

  constructor(private readonly config: PullConfig) {
    this.client = new RunyardClient(config.url);
    this.state = new StateFile(join(config.stateDir, 'agent-state.json'));
    this.jobs = new LocalJobs(join(config.stateDir, 'runs'));
  }

  async start(): Promise<void> {
    const saved = await this.state.read();
    this.secret = saved.secret ?? this.config.secret ?? '';
    if (!this.secret) throw new Error('RUNYARD_AGENT_SECRET is not set and the state file holds no secret');
    process.on('SIGTERM', () => this.onSignal());
    process.on('SIGINT', () => this.onSignal());
    // The heartbeat's timer keeps the process alive meanwhile (the spawn helper's channel does not).
    await this.heartbeat();
    for (const owned of Object.values(saved.runs ?? {})) await this.reattach(owned);
    void this.pollLoop();
    log('info', `agent ${this.config.agentId} polling ${this.config.url}`, { concurrency: this.config.concurrency });
  }

  // --- talking to the API ---

  private path = (rest: string) => `/api/v1/agents/${encodeURIComponent(this.config.agentId)}/${rest}`;

  /**
   * A request with the agent's secret. Refused with the secret of the state file, it tries the one
   * of the environment (an operator who replaced the secret) and keeps it if that works.
   */
  private async authed<T>(rest: string, body: unknown, signal?: AbortSignal): Promise<Answer<T>> {
    const answer = await this.client.request<T>('POST', this.path(rest), this.secret, body, signal);
    const fallback = this.config.secret;
    if (answer.status !== 401 || !fallback || fallback === this.secret) return answer;
    const retried = await this.client.request<T>('POST', this.path(rest), fallback, body, signal);
    if (retried.status !== 401) {
      this.secret = fallback;
      await this.persist();
      log('info', 'using the secret of RUNYARD_AGENT_SECRET (the stored one was refused)');
    }
    return retried;
  }

  /** A request of one run, with its job token; unreachable API: tried again until it answers. */
  private async jobCall<T>(t: Tracked, method: string, rest: string, body?: unknown): Promise<Answer<T>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.client.request<T>(method, `/api/v1/agent-jobs/${t.owned.id}${rest}`, t.owned.token, body);
      } catch (e) {
        if (!(e instanceof Unreachable)) throw e;
        if (attempt === 0) log('warn', `run ${t.owned.id}: ${e.message}; trying again`);
        await sleep(backoff(attempt));
      }
    }
  }

  private async heartbeat(): Promise<void> {
    clearTimeout(this.heartbeatTimer);
    try {
      const a = await this.authed<HeartbeatAnswer>('heartbeat', {
        version: AGENT_VERSION,
        os: platform(),
        arch: arch(),
        runtimes: this.runtimes,
        draining: this.draining,
        running: [...this.running.keys()],
      });
      if (a.status === 200) {
        this.heartbeatMs = a.body.heartbeat_ms;
        for (const id of a.body.drop) this.drop(id);
        if (a.body.rotate) await this.rotate();
      } else {
        log('warn', `heartbeat refused: ${messageOf(a)}`);
      }
    } catch (e) {
      log('warn', `heartbeat: ${(e as Error).message}`);
    }
    this.heartbeatTimer = setTimeout(() => void this.heartbeat(), this.heartbeatMs);
  }

  /** A new secret, stored (atomically, 0600) before it is used: a crash in between leaves the old one, still valid. */
  private async rotate(): Promise<void> {
    const a = await this.authed<RotateAnswer>('rotate', {});
    if (a.status !== 200) return log('warn', `secret rotation refused: ${messageOf(a)}`);
    const previous = this.secret;
    this.secret = a.body.secret;
    try {
      await this.persist();
      log('info', 'secret rotated');
    } catch (e) {
      this.secret = previous;
      log('error', `secret rotation: cannot store the new secret (${(e as Error).message}); keeping the old one`);
    }
  }

  private persist(): Promise<void> {
    const runs: Record<string, OwnedRun> = {};
    for (const t of this.running.values()) runs[t.owned.id] = t.owned;
    this.persisting = this.state.write({ secret: this.secret, runs });
    return this.persisting;
  }

  // --- work ---

  /**
   * Numbered polls: the API hands nothing out through a poll older than the agent's newest, so a
   * poll the agent ended (below) cannot hand a run out again after the next one did.
   */
  private async pollLoop(): Promise<void> {
    for (let attempt = 0; !this.draining;) {
      this.poll = new AbortController();
      this.pollSeq = Math.max(this.pollSeq + 1, Date.now() * 1000);
      const body: PollRequest = {
        running: [...this.running.values()].map((t) => ({ run_id: t.owned.id, signal_seq: t.signalSeq })),
        starting: [...this.starting],
        commands: [...this.commands],
        free_slots: this.freeSlots(),
        poll_seq: this.pollSeq,
      };
      this.asked = body.free_slots;
      this.repoll = false;
      try {
        const a = await this.authed<PollAnswer>('poll', body, this.poll.signal);
        if (a.status === 200) {
          attempt = 0;
          for (const s of a.body.signals) this.applySignal(s.run_id, s.signal, s.seq);
          for (const c of a.body.commands) void this.runCommand(c);
          for (const job of a.body.jobs) void this.take(job);
          continue;
        }
        // The API saw a higher number (this agent's clock went back since): the next poll counts on from it.
        const newest = (a.body as { poll_seq?: unknown } | null)?.poll_seq;
        if (a.status === 409 && typeof newest === 'number') this.pollSeq = Math.max(this.pollSeq, newest);
        log('warn', `poll refused: ${messageOf(a)}`);
      } catch (e) {
        if (this.draining) break;
        if (this.repoll) continue;
        if (attempt === 0) log('warn', `poll: ${(e as Error).message}`);
      }
      await sleep(backoff(attempt++, 500));
    }
  }

  private freeSlots(): number {
    return Math.max(0, this.config.concurrency - this.running.size - this.starting.size);
  }

  /**
   * A slot came free while the open poll asks for fewer: that poll is ended and a new one asks for it
   * now, not when the long poll runs out. What the ended poll was being handed stays this agent's and
   * comes with the new poll, with the job tokens that count.
   */
  private slotFreed(): void {
    if (this.draining || !this.poll || this.repoll || this.freeSlots() <= this.asked) return;
    this.repoll = true;
    this.poll.abort();
  }

  /** Accept, start (the loader prepares the command here), record, report; a run it cannot take goes back. */
  private async take(job: AgentJob): Promise<void> {
    this.starting.add(job.run_id);
    const owned: OwnedRun = { id: job.run_id, pid: 0, runDir: this.jobs.dirOf(job.run_id), token: job.token };
    const t: Tracked = { owned, signalSeq: 0 };
    try {
      if (this.draining) {
        await this.jobCall(t, 'POST', '/decline');
        return;
      }
      const accepted = await this.jobCall(t, 'POST', '/accept');
      if (accepted.status !== 204) return log('warn', `run ${job.run_id} not taken: ${messageOf(accepted)}`);
      let exited: Promise<ExitInfo | null>;
      try {
        const p = await this.jobs.start(job.run_id, job.spec);
        Object.assign(owned, { pid: p.pid, runDir: p.runDir });
        exited = p.exited;
      } catch (e) {
        const error = (e as Error).message;
        log('warn', `run ${job.run_id} could not start: ${error}`);
        await this.jobCall(t, 'POST', '/finish', { exit_code: null, signal: null, error, sizes: { stdout: 0, stderr: 0 } });
        await this.jobs.release(owned).catch(() => undefined);
        return;
      }
      this.running.set(owned.id, t);
      await this.persist();
      const started = await this.jobCall(t, 'POST', '/started', { pid: owned.pid, run_dir: owned.runDir });
      if (GONE.includes(started.status) || started.status === 409) {
        log('warn', `run ${job.run_id} was taken back while starting: stopping it`);
        await this.jobs.signal(owned, 'SIGKILL');
      }
      log('info', `run ${job.run_id} started`, { pid: owned.pid });
      void this.follow(t, exited, { stdout: 0, stderr: 0 });
    } finally {
      this.starting.delete(job.run_id);
      this.slotFreed();
    }
  }

  /** After the agent's own restart: what it ran before is still running, ended while it was away, or vanished. */
  private async reattach(owned: OwnedRun): Promise<void> {
    const t: Tracked = { owned, signalSeq: 0 };
    const found = await this.jobs.attach(owned);
    const exited = found.state === 'running' ? found.process.exited : Promise.resolve(found.state === 'exited' ? found.exit : null);
    this.running.set(owned.id, t);
    log('info', `run ${owned.id} re-attached (${found.state})`);
    const state = await this.jobCall<JobState>(t, 'GET', '');
    if (state.status !== 200) {
      log('warn', `run ${owned.id} is no longer this agent's (${messageOf(state)}): stopping it`);
      return this.abandon(t);
    }
    void this.follow(t, exited, state.body.offsets);
  }

  /** Ships the run's output as it grows, then its end (once every byte is stored), then forgets it. */
  private async follow(t: Tracked, exited: Promise<ExitInfo | null>, from: StreamOffsets): Promise<void> {
    const offsets = { ...from };
    const output = this.jobs.output(t.owned);
    let exit: ExitInfo | null | undefined;
    void exited.then((e) => (exit = e));
    try {
      for (;;) {
        // Read after the exit is known: everything written before it is in the files.
        const ended = exit !== undefined;
        if ((await this.upload(t, output, offsets)) === 'gone') return await this.abandon(t);
        if (ended) break;
        await Promise.race([sleep(UPLOAD_EVERY_MS), exited]);
      }
      const resultFile = await this.jobs.resultFile(t.owned);
      for (let attempt = 0; ; attempt++) {
        const a = await this.jobCall<{ offsets?: StreamOffsets }>(t, 'POST', '/finish', {
          exit_code: exit?.code ?? null,
          signal: exit?.signal ?? null,
          vanished: exit === null,
          sizes: offsets,
          ...(resultFile ? { result_file: resultFile.toString('base64') } : {}),
        });
        if (a.status === 204 || GONE.includes(a.status)) break;
        if (a.status === 409 && a.body?.offsets) {
          // Not all stored (an earlier answer was lost in a cut): send from where the API is.
          Object.assign(offsets, a.body.offsets);
          await this.upload(t, output, offsets);
          continue;
        }
        log('warn', `run ${t.owned.id}: finish refused: ${messageOf(a)}`);
        await sleep(backoff(attempt, 500));
      }
      log('info', `run ${t.owned.id} finished`, { exit_code: exit?.code ?? null, signal: exit?.signal ?? null });
      await this.jobs.release(t.owned).catch(() => undefined);
    } finally {
      await output.close();
      this.forget(t.owned.id);
    }
  }

  private async upload(t: Tracked, output: ReturnType<LocalJobs['output']>, offsets: StreamOffsets): Promise<'ok' | 'gone'> {
    for (const stream of STREAMS) {
      const size = await output.size(stream);
      while (offsets[stream] < size) {
        const data = await output.read(stream, offsets[stream], Math.min(MAX_OUTPUT_CHUNK, size - offsets[stream]));
        if (data.length === 0) break;
        const a = await this.jobCall<OutputAnswer>(t, 'POST', '/output', {
          stream,
          offset: offsets[stream],
          data: data.toString('base64'),
        });
        if (GONE.includes(a.status)) return 'gone';
        if (a.status !== 200) {
          log('warn', `run ${t.owned.id}: output refused: ${messageOf(a)}`);
          await sleep(1000);
          continue;
        }
        offsets[stream] = a.body.offset;
      }
    }
    return 'ok';
  }

  /** The run is not this agent's anymore (taken back, LOST meanwhile): its process is stopped and its files go. */
  private async abandon(t: Tracked): Promise<void> {
    await this.jobs.signal(t.owned, 'SIGKILL').catch(() => undefined);
    await this.jobs.release(t.owned).catch(() => undefined);
    this.forget(t.owned.id);
  }

  private drop(id: number): void {
    const t = this.running.get(id);
    if (t) void this.abandon(t);
  }

  private forget(id: number): void {
    if (!this.running.delete(id)) return;
    this.slotFreed();
    void this.persist().catch((e: Error) => log('error', `cannot store the agent's state: ${e.message}`));
    if (this.draining && this.running.size === 0 && this.starting.size === 0) void this.exit();
  }

  private applySignal(runId: number, signal: string, seq: number): void {
    const t = this.running.get(runId);
    if (!t || seq <= t.signalSeq) return;
    t.signalSeq = seq;
    log('info', `run ${runId}: ${signal}`);
    void this.jobs.signal(t.owned, signal as NodeJS.Signals).catch((e: Error) => log('warn', `run ${runId}: ${signal}: ${e.message}`));
  }

  private async runCommand(c: AgentCommand): Promise<void> {
    this.commands.add(c.id);
    try {
      const { exit, output } = await this.jobs.exec(c.argv, c.stdin, c.timeout_ms, c.run_id);
      for (let attempt = 0; attempt < 10; attempt++) {
        try {
          const body = { exit_code: exit.code, signal: exit.signal, output: output.slice(-200_000) };
          const a = await this.authed(`commands/${c.id}/result`, body);
          if (a.status !== 204) log('warn', `command ${c.id}: answer refused: ${messageOf(a)}`);
          return;
        } catch {
          await sleep(backoff(attempt));
        }
      }
    } finally {
      this.commands.delete(c.id);
    }
  }

  // --- shutting down ---

  /** First SIGTERM: drain. The next one: stop the runs (SIGTERM, then SIGKILL after the grace) and report how they ended. */
  private onSignal(): void {
    if (!this.draining) {
      this.draining = true;
      this.poll?.abort();
      log('info', `draining: no new runs; waiting for ${this.running.size} to finish (SIGTERM again to stop them)`);
      void this.heartbeat();
      if (this.running.size === 0 && this.starting.size === 0) void this.exit();
      return;
    }
    if (this.cancelling) return;
    this.cancelling = true;
    log('info', `stopping ${this.running.size} runs (SIGKILL after ${this.config.cancelGraceMs} ms)`);
    for (const t of this.running.values()) void this.jobs.signal(t.owned, 'SIGTERM');
    setTimeout(() => {
      for (const t of this.running.values()) void this.jobs.signal(t.owned, 'SIGKILL');
    }, this.config.cancelGraceMs).unref();
  }

  private async exit(): Promise<void> {
    clearTimeout(this.heartbeatTimer);
    // What it ran is forgotten on disk too before it goes: a restart must not re-attach to it.
    await this.persisting.catch(() => undefined);
    await this.heartbeat().catch(() => undefined);
    clearTimeout(this.heartbeatTimer);
    log('info', 'drained: exiting');
    process.exit(0);
  }
}
