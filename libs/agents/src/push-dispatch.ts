import { Logger } from '@nestjs/common';
import { ClientRequest, request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AUTOMN_SECRET_HEADER, AutomnFrame, AutomnResult, AutomnRunRequest } from '@runyard/agent-protocol';
import { ExitInfo, RunnerBusyError } from '@runyard/runners';
import { RunsRepository } from '@runyard/runs';
import type { Script } from '@runyard/scripts';
import { AgentRecord } from './agent';
import { AgentsRepository } from './agents.repository';
import { DispatchKeys } from './dispatch-keys.service';
import { OutboundAddresses, OutboundRefusedError } from './outbound-addresses';
import { OutputCarry } from './output-carry';

const APPEND_CHUNK = 512 * 1024;
const NEWLINE = 0x0a;

/**
 * The most of an agent's answer Runyard reads, from the run's output cap: one frame (the result
 * frame repeats the whole output, JSON-escaped) at most 4 × the cap + 1 MiB, the whole answer at most
 * 8 × the cap + 1 MiB. Over either the run ends FAILED saying so.
 */
const pushAnswerCaps = (capBytes: number) => ({ frame: 4 * capBytes + 2 ** 20, total: 8 * capBytes + 2 ** 20 });

const STREAMS = ['stdout', 'stderr'] as const;
type Stream = (typeof STREAMS)[number];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Automn's protocol has no stop, and its runner does not stop a script whose host hung up: a stop of a
 * run on a stock runner ends Runyard's part only, and says so. Runyard's own agent stops the script
 * when the dispatch is closed (SIGTERM, SIGKILL after its grace).
 */
const cannotStop = (agent: AgentRecord) => `stop requested; an Automn runner cannot stop a script — it may still be running on ${agent.id}`;

/** Runyard's agent's routes about a run it was dispatched, beside its endpoint. */
const runUrl = (agent: AgentRecord, runId: number, what: 'attach' | 'stop') =>
  new URL(`/api/runs/${encodeURIComponent(String(runId))}/${what}`, agent.endpoint!);

/** A push dispatch under way: its HTTP answer is the run's output and, at the end, its result. */
interface OpenDispatch {
  abort(signal: NodeJS.Signals): void;
}

/**
 * Automn's push dispatch: `POST {endpoint}` with `{runId, script, reqBody}`, answered with JSONL log
 * frames and one result frame. Runyard's own agents get a signed request; a stock Automn runner its
 * secret in `x-automn-runner-secret`, as it expects. There is no idle timeout: a script silent for
 * hours is not failed (TCP keep-alive still notices a dead peer). The run lives as long as this
 * request: a disconnect stops the script on Runyard's agent (a stock runner lets it run on).
 */
export class PushDispatch {
  private readonly log = new Logger('PushDispatch');
  private readonly open = new Map<number, OpenDispatch>();
  /** Tokens printed across two log frames are masked too. */
  private readonly carry = new OutputCarry();

  constructor(
    private readonly runs: RunsRepository,
    private readonly repo: AgentsRepository,
    private readonly keys: DispatchKeys,
    private readonly capBytes: () => number,
    private readonly outbound: OutboundAddresses,
  ) {}

  holds(runId: number): boolean {
    return this.open.has(runId);
  }

  signal(runId: number, signal: NodeJS.Signals): void {
    this.open.get(runId)?.abort(signal);
  }

  /** Sends the run; resolves once the agent answered that it runs it (or throws: busy, refused, unreachable). */
  async start(runId: number, agent: AgentRecord, script: Script): Promise<{ exited: Promise<ExitInfo | null> }> {
    const payload: AutomnRunRequest = {
      runId: String(runId),
      script: { id: `runyard-${runId}`, name: `run ${runId}`, language: script.language, code: script.code, timeout: script.timeout },
      reqBody: script.input,
    };
    const body = Buffer.from(JSON.stringify(payload));
    const { req, res } = await this.send(agent, new URL(agent.endpoint!), body);
    if (res.statusCode !== 200) {
      // What the peer said is not repeated: its status code only, and Runyard's words for it.
      res.resume();
      req.destroy();
      if (res.statusCode === 429) throw new RunnerBusyError(`waiting for a free slot on agent ${agent.id} (it answered 429: at capacity)`);
      if (res.statusCode === 503) throw new RunnerBusyError(`waiting for agent ${agent.id} to be given its secret (it answered 503)`);
      throw new Error(`agent ${agent.id} refused the run: it answered HTTP ${res.statusCode}`);
    }
    await this.repo.markRunning(runId, { pid: 0, runDir: '' });
    return { exited: this.followAnswer(runId, agent, req, res, { stdout: 0, stderr: 0 }) };
  }

  /**
   * A run of Runyard's agent whose worker went away, taken over: the agent answers the rest of its
   * output from the offsets stored, then its result. Null when the agent no longer has it.
   */
  async resume(runId: number, agent: AgentRecord): Promise<{ exited: Promise<ExitInfo | null> } | null> {
    const { offsets } = await this.runs.outputProgress(runId);
    const from = { stdout: Number(offsets?.stdout ?? 0), stderr: Number(offsets?.stderr ?? 0) };
    const { req, res } = await this.send(agent, runUrl(agent, runId, 'attach'), Buffer.from(JSON.stringify(from)));
    if (res.statusCode !== 200) {
      res.resume();
      req.destroy();
      return null;
    }
    return { exited: this.followAnswer(runId, agent, req, res, from) };
  }

  /** A signed request to Runyard's agent or one with the stock runner's secret; the address checked again, no redirects. */
  private async send(agent: AgentRecord, url: URL, body: Buffer): Promise<{ req: ClientRequest; res: IncomingMessage }> {
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      accept: 'application/jsonl',
      'content-length': body.length,
      'x-automn-runner-id': agent.id,
      'x-automn-runner-name': agent.name,
    };
    if (agent.dispatchSignatures)
      Object.assign(
        headers,
        await this.keys.sign({ agentId: agent.id, endpoint: agent.endpoint! }, 'POST', url.pathname + url.search, body),
      );
    else if (agent.automnSecret) headers[AUTOMN_SECRET_HEADER] = agent.automnSecret;
    else throw new RunnerBusyError(`waiting for agent ${agent.id} to register again (its secret is needed to send it runs)`);

    // Checked again on the address it resolves to now (a literal address is not looked up); redirects are not followed.
    await this.outbound.checkUrl(url).catch((e: Error) => {
      throw new Error(`agent ${agent.id}'s endpoint is refused: ${e.message}`, { cause: e });
    });
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      headers,
      agent: false,
      lookup: this.outbound.lookup,
    });
    try {
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        req.once('response', resolve);
        req.once('error', reject);
        req.end(body);
      });
      return { req, res };
    } catch (e) {
      if (e instanceof OutboundRefusedError) throw new Error(`agent ${agent.id}'s endpoint is refused: ${e.message}`, { cause: e });
      throw new RunnerBusyError(
        `waiting for agent ${agent.id}: it cannot be reached (${(e as NodeJS.ErrnoException).code ?? 'no connection'})`,
      );
    }
  }

  /** Follows an answer to its result: the run's exit, stored in its assignment. */
  private followAnswer(
    runId: number,
    agent: AgentRecord,
    req: ClientRequest,
    res: IncomingMessage,
    from: { stdout: number; stderr: number },
  ): Promise<ExitInfo | null> {
    res.socket.setKeepAlive(true, 30_000);
    let stoppedBy: NodeJS.Signals | null = null;
    this.open.set(runId, {
      abort: (signal) => {
        stoppedBy ??= signal;
        // Runyard's agent takes a stop of its own (a closed answer means its worker is gone); a stock runner has none.
        if (agent.dispatchSignatures) void this.askStop(agent, runId).catch(() => req.destroy());
        else req.destroy();
      },
    });
    return this.follow(runId, res, () => req.destroy(), from).then(async ({ result, overCap }) => {
      this.open.delete(runId);
      if (overCap) {
        await this.retry(() => this.repo.finishAssignment(runId, { exitCode: null, signal: null, error: overCap }));
        return { code: null, signal: null, reason: overCap };
      }
      const exit: ExitInfo | null = result
        ? // Stopped by Runyard's agent on request: its answer says code 1 (Automn's way), the signal is the truth.
          stoppedBy && agent.dispatchSignatures && result.code !== 0
          ? { code: null, signal: stoppedBy }
          : { code: result.code, signal: null }
        : stoppedBy
          ? agent.dispatchSignatures
            ? { code: null, signal: stoppedBy }
            : { code: null, signal: null, reason: cannotStop(agent) }
          : null;
      const resultFile =
        result && result.returnData !== null && result.returnData !== undefined ? Buffer.from(JSON.stringify(result.returnData)) : null;
      await this.retry(() =>
        exit
          ? this.repo.finishAssignment(runId, { exitCode: exit.code, signal: exit.signal, resultFile, error: exit.reason })
          : this.repo.markLost(runId),
      );
      return exit;
    });
  }

  private async askStop(agent: AgentRecord, runId: number): Promise<void> {
    const { req, res } = await this.send(agent, runUrl(agent, runId, 'stop'), Buffer.from('{}'));
    res.resume();
    req.destroy();
    if (res.statusCode !== 202) throw new Error(`agent ${agent.id} answered ${res.statusCode} to a stop`);
  }

  /**
   * Stores the log frames as the run's output as they come; answers the result frame (null if the
   * stream ended without one), or why the answer was cut (`overCap`). Each byte is looked at once:
   * a line's pieces wait in a list until its newline comes.
   */
  private follow(
    runId: number,
    res: IncomingMessage,
    cut: () => void,
    from: { stdout: number; stderr: number },
  ): Promise<{ result: AutomnResult | null; overCap?: string }> {
    const caps = pushAnswerCaps(this.capBytes());
    return new Promise((resolve) => {
      let result: AutomnResult | null = null;
      let overCap: string | undefined;
      const offsets = { ...from };
      let appending: Promise<unknown> = Promise.resolve();
      const store = (stream: Stream, chunk: Buffer, masked: { stored: Buffer; kept: () => void }) =>
        this.retry(() => this.runs.appendOutputAt(runId, stream, offsets[stream], chunk, this.capBytes(), masked.stored)).then((answer) => {
          if (answer?.appended) masked.kept();
          offsets[stream] = answer ? answer.offset : offsets[stream];
        });
      const append = (stream: Stream, text: string) => {
        const data = Buffer.from(text, 'utf8');
        appending = appending.then(async () => {
          for (let at = 0; at < data.length; at += APPEND_CHUNK) {
            const chunk = data.subarray(at, at + APPEND_CHUNK);
            await store(stream, chunk, this.carry.prepare(runId, stream, offsets[stream], chunk));
          }
        });
      };
      // After the last frame's bytes: what the masker still holds back.
      const flush = () => {
        for (const stream of STREAMS) {
          appending = appending.then(() => {
            const rest = this.carry.release(runId, stream);
            return rest && store(stream, Buffer.alloc(0), { stored: rest, kept: () => undefined });
          });
        }
      };
      const frame = (line: Buffer) => {
        const text = line.toString('utf8');
        if (!text.trim()) return;
        let f: AutomnFrame;
        try {
          f = JSON.parse(text) as AutomnFrame;
        } catch {
          this.log.warn(`run ${runId}: the agent sent a line that is not JSON`);
          return;
        }
        // A stock runner's frames do not say their stream: they are the run's output as Automn shows it.
        if (f.type === 'log' && typeof f.line === 'string') append(f.stream === 'stderr' ? 'stderr' : 'stdout', f.line);
        else if (f.type === 'result' && !result) result = f.data;
      };
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let total = 0;
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        if (!overCap) frame(Buffer.concat(pending));
        pending = [];
        flush();
        void appending.then(() => resolve({ result, overCap }));
      };
      const over = (what: string, cap: number) => {
        overCap = `the agent's answer was cut: ${what} is over ${cap} bytes`;
        res.removeAllListeners('data');
        cut();
        end();
      };
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > caps.total) return over('the whole answer (8 × RUN_LOG_CAP_BYTES + 1 MiB)', caps.total);
        let from = 0;
        for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, from)) {
          if (pendingBytes + nl - from > caps.frame) return over('one line (4 × RUN_LOG_CAP_BYTES + 1 MiB)', caps.frame);
          const piece = chunk.subarray(from, nl);
          frame(pending.length > 0 ? Buffer.concat([...pending, piece]) : piece);
          pending = [];
          pendingBytes = 0;
          from = nl + 1;
        }
        pendingBytes += chunk.length - from;
        if (pendingBytes > caps.frame) return over('one line (4 × RUN_LOG_CAP_BYTES + 1 MiB)', caps.frame);
        if (from < chunk.length) pending.push(chunk.subarray(from));
      });
      res.on('end', end);
      res.on('close', end);
      res.on('error', end);
    });
  }

  /** Writes whose truth is in this process only (the stream is gone once read): tried until they land. */
  private async retry<T>(fn: () => Promise<T>): Promise<T | undefined> {
    for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        return await fn();
      } catch (e) {
        this.log.warn(`storing a push run's progress: ${(e as Error).message}`);
        await sleep(delay);
      }
    }
  }
}
