import { Injectable, Logger } from '@nestjs/common';
import type { JobSpec } from '@runyard/agent-protocol';
import { Environment } from '@runyard/config';
import {
  AgentDispatch,
  AgentTarget,
  Attachment,
  ExitInfo,
  LaunchFailedError,
  LaunchRef,
  RunnerBusyError,
  RunningProcess,
  RunRef,
} from '@runyard/runners';
import { RunsRepository } from '@runyard/runs';
import { scriptOf } from '@runyard/scripts';
import { capacityOf, statusOf } from './agent';
import { AgentCandidate, AgentFilter, Assignment, AgentsRepository } from './agents.repository';
import { DispatchKeys } from './dispatch-keys.service';
import { OutboundAddresses } from './outbound-addresses';
import { PushDispatch } from './push-dispatch';
import { WakeUps } from './wake-ups';

/** How often a waiting worker looks at the rows should a wake-up be missed. */
const RECHECK_MS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What an agent needs to prepare and start the run on its own host. */
function specOf(run: LaunchRef): JobSpec {
  const s = run.settings;
  return {
    loader: s.loader,
    modules: s.modules,
    program: s.program ?? s.autosubmitExecutable,
    args: s.args,
    condaExecutable: s.condaExecutable,
    lmodInit: s.lmodInit,
    safeRootPath: s.safeRootPath,
    env: s.env,
    files: s.files,
    stdin: s.stdin,
    runAs: s.runAs,
  };
}

const describe = (t: AgentTarget) =>
  t.id
    ? `agent ${t.id}${t.tags.length ? ` (tags ${t.tags.join(', ')})` : ''}`
    : t.tags.length
      ? `an agent with tags ${t.tags.join(', ')}`
      : 'an agent';

/**
 * A push run whose worker went away and could not be taken over: Runyard's agent had stopped it (nobody
 * came back in time, or the agent restarted), a stock Automn runner lets it run on and keeps its
 * result to itself (its protocol cannot resume an answer).
 */
const pushRunCut = (agentId: string, runyardAgent: boolean) =>
  runyardAgent
    ? `the worker following the run went away and agent ${agentId} no longer has the run (it stops a script nobody took over within AUTOMN_RUNNER_REATTACH_MS)`
    : `the worker following the run went away: an Automn runner cannot resume its answer — the script may have completed or still be running on ${agentId}`;

/**
 * The AGENT runner's Postgres-backed side, in the worker: hands a run to the least busy agent that
 * may take it (its row locked for the capacity check), waits for the agent to start it, follows it
 * to its end, relays stops and short commands. A pull agent fetches the run through its long poll; a
 * push agent (Automn's protocol) is sent it over HTTP from here.
 */
@Injectable()
export class AgentDispatchService implements AgentDispatch {
  private readonly log = new Logger('AgentDispatch');
  private readonly push: PushDispatch;

  constructor(
    private readonly repo: AgentsRepository,
    runs: RunsRepository,
    keys: DispatchKeys,
    private readonly wake: WakeUps,
    private readonly env: Environment,
    outbound: OutboundAddresses,
  ) {
    this.push = new PushDispatch(runs, repo, keys, () => env.RUN_LOG_CAP_BYTES, outbound);
  }

  async launch(run: LaunchRef, target: AgentTarget): Promise<RunningProcess> {
    const script = scriptOf(run.settings);
    // Automn's protocol carries scripts, not commands: push agents take script runs only.
    const filter: AgentFilter = { agentId: target.id, tags: target.tags, pushToo: script !== null };
    for (const c of await this.repo.candidates(filter, this.env.AGENT_HEARTBEAT_MS)) {
      const capacity = capacityOf(c.agent);
      if (c.active >= capacity) continue;
      const via = c.agent.endpoint ? 'push' : 'pull';
      const assigned = await this.repo.assign(c.agent, capacity, {
        runId: run.id,
        via,
        spec: specOf(run),
        acceptMs: this.env.AGENT_ACCEPT_TIMEOUT_MS,
      });
      if (!assigned) continue;
      if (via === 'pull') return this.started(run.id, c.agent.id);
      try {
        const { exited } = await this.push.start(run.id, c.agent, script!);
        return { pid: 0, host: c.agent.id, runDir: '', exited };
      } catch (e) {
        await this.repo.moveFromAssigned(run.id, 'withdrawn');
        throw e;
      }
    }
    throw new RunnerBusyError(await this.whyNone(filter, target));
  }

  /** What the run waits for, in words: it becomes the run's detail while it is queued. */
  private async whyNone(filter: AgentFilter, target: AgentTarget): Promise<string> {
    const all = await this.repo.matching(filter);
    const wanted = describe(target);
    if (all.length === 0) return `waiting for ${wanted}: none is registered`;
    const statuses = all.map((c: AgentCandidate) => ({ c, status: statusOf(c.agent, this.env.AGENT_HEARTBEAT_MS) }));
    const online = statuses.filter((s) => s.status === 'online');
    if (online.length === 0) {
      return `waiting for ${wanted}: ${statuses.map((s) => `${s.c.agent.id} is ${s.status}`).join(', ')}`;
    }
    return `waiting for ${wanted} with a free slot: ${online.map((s) => `${s.c.agent.id} runs ${s.c.active}/${capacityOf(s.c.agent)}`).join(', ')}`;
  }

  /** Waits for the pull agent to take the run and start it; not taken in time, it goes back to the queue. */
  private async started(runId: number, agentId: string): Promise<RunningProcess> {
    for (;;) {
      const a = await this.repo.assignment(runId);
      if (!a) throw new Error(`run ${runId} is no longer handed to agent ${agentId}`);
      if (a.state === 'running') return this.processOf(a);
      if (a.state === 'finished') {
        if (a.pid === null && a.error) throw new LaunchFailedError(`agent ${agentId}: ${a.error}`);
        return { ...this.processOf(a), exited: Promise.resolve({ code: a.exitCode, signal: a.exitSignal }) };
      }
      if (a.state === 'withdrawn')
        throw new RunnerBusyError(`${a.error ?? `agent ${agentId} did not take the run (it is shutting down)`}; waiting for another`);
      if (a.state === 'lost') throw new RunnerBusyError(`agent ${agentId} went silent while starting the run; waiting for another`);
      if (a.state === 'assigned' && a.acceptDeadline.getTime() <= Date.now()) {
        if (await this.repo.moveFromAssigned(runId, 'withdrawn')) {
          throw new RunnerBusyError(
            `agent ${agentId} did not take the run within ${this.env.AGENT_ACCEPT_TIMEOUT_MS / 1000} s; waiting for an agent`,
          );
        }
        continue;
      }
      if (a.state === 'accepted' && this.silent(a)) {
        if (await this.repo.markLost(runId))
          throw new RunnerBusyError(`agent ${agentId} went silent while starting the run; waiting for another`);
        continue;
      }
      await this.wake.wait(`job ${runId}`, RECHECK_MS);
    }
  }

  private processOf(a: Assignment): RunningProcess {
    return { pid: a.pid ?? 0, host: a.agentId, runDir: a.runDir ?? '', exited: this.exited(a.runId) };
  }

  /** Its agent has not been heard from for longer than the window its runs survive. */
  private silent(a: Assignment): boolean {
    return a.agentLastSeenAt === null || Date.now() - a.agentLastSeenAt.getTime() > this.env.AGENT_LOST_AFTER_MS;
  }

  /** Settles when the agent reports the end; null (LOST) when the agent stayed silent past the window. */
  private async exited(runId: number): Promise<ExitInfo | null> {
    for (;;) {
      let a: Assignment | null;
      try {
        a = await this.repo.assignment(runId);
      } catch (e) {
        this.log.warn(`following run ${runId}: ${(e as Error).message}`);
        await sleep(RECHECK_MS);
        continue;
      }
      // Its agent revoked: the run is LOST, saying why.
      if (a?.state === 'lost' && a.error) return { code: null, signal: null, lost: true, reason: `${a.error} while the run was on it` };
      if (!a || a.state === 'withdrawn' || a.state === 'lost') return null;
      if (a.state === 'finished') return { code: a.exitCode, signal: a.exitSignal };
      if (this.silent(a) && (await this.repo.markLost(runId).catch(() => false))) {
        this.log.warn(`run ${runId}: agent ${a.agentId} silent for more than ${this.env.AGENT_LOST_AFTER_MS / 1000} s`);
        return null;
      }
      await this.wake.wait(`job ${runId}`, RECHECK_MS * 2);
    }
  }

  /** After a worker restart: a pull agent's run carries on; a push run's answer died with the worker's request. */
  async attach(run: RunRef): Promise<Attachment> {
    const a = await this.repo.assignment(run.id);
    if (!a) return { state: 'vanished' };
    if (a.state === 'finished') return { state: 'exited', exit: { code: a.exitCode, signal: a.exitSignal } };
    if (a.via === 'push' && !this.push.holds(run.id)) {
      const agent = await this.repo.byId(a.agentId);
      // Runyard's agent keeps the script running for a while: take the run over where the stored output ends.
      if (agent?.dispatchSignatures && agent.endpoint) {
        const resumed = await this.push.resume(run.id, agent).catch((e: Error) => {
          this.log.warn(`run ${run.id}: taking it over from agent ${agent.id}: ${e.message}`);
          return null;
        });
        if (resumed) return { state: 'running', process: { pid: 0, host: agent.id, runDir: '', exited: resumed.exited } };
      }
      // Its answer went with the worker's request: say what became of the script as far as can be known.
      await this.repo.markLost(run.id);
      return {
        state: 'exited',
        exit: { code: null, signal: null, lost: true, reason: pushRunCut(a.agentId, agent?.dispatchSignatures ?? false) },
      };
    }
    if (a.state === 'assigned') {
      // Its launch was never completed: the run was not started on the worker's behalf.
      if (await this.repo.moveFromAssigned(run.id, 'withdrawn')) return { state: 'vanished' };
      return this.attach(run);
    }
    if (a.state === 'accepted' || a.state === 'running') return { state: 'running', process: this.processOf(a) };
    return { state: 'vanished' };
  }

  async signal(run: RunRef, signal: NodeJS.Signals): Promise<void> {
    if (this.push.holds(run.id)) return this.push.signal(run.id, signal);
    await this.repo.requestSignal(run.id, signal);
  }

  /** Sent to the agent the run executes on, through its long poll; answered by it, or "no answer in time". */
  async exec(run: RunRef, argv: string[], stdin: string | undefined, timeoutMs: number): Promise<{ exit: ExitInfo; output: string }> {
    const a = await this.repo.assignment(run.id);
    if (!a || a.via !== 'pull')
      return { exit: { code: null, signal: null }, output: `run ${run.id} is not on a pull agent that takes commands` };
    const id = await this.repo.insertCommand({ runId: run.id, agentId: a.agentId, argv, stdin: stdin ?? null, timeoutMs });
    const deadline = Date.now() + timeoutMs + 2_000;
    try {
      while (Date.now() < deadline) {
        const c = await this.repo.command(id);
        if (c?.state === 'done') return { exit: { code: c.exitCode, signal: c.exitSignal }, output: c.output ?? '' };
        await this.wake.wait(`command ${id}`, Math.min(RECHECK_MS, Math.max(1, deadline - Date.now())));
      }
      return { exit: { code: null, signal: null }, output: `agent ${a.agentId} did not answer within ${Math.round(timeoutMs / 1000)} s` };
    } finally {
      await this.repo.deleteCommand(id).catch(() => undefined);
    }
  }

  async resultFile(run: RunRef): Promise<Buffer | null> {
    return (await this.repo.assignment(run.id))?.resultFile ?? null;
  }

  async release(run: RunRef): Promise<void> {
    await this.repo.deleteAssignment(run.id);
  }
}
