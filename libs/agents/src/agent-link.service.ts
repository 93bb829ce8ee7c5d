import { Injectable } from '@nestjs/common';
import type { AgentReport, CommandResult, HeartbeatAnswer, PollAnswer, PollRequest, RotateAnswer } from '@runyard/agent-protocol';
import { Environment } from '@runyard/config';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '@runyard/runs';
import { AgentRecord, olderPoll } from './agent';
import { matchesHash, newSecret, sha256 } from './agent-secrets';
import { AgentsRepository } from './agents.repository';
import { WakeUps } from './wake-ups';

/** After a rotation the secret it replaces keeps working this long, for requests already under way. */
const ROTATION_OVERLAP_MS = 10 * 60 * 1000;
/** How often an open long poll looks at the rows should a wake-up be missed. */
const POLL_RECHECK_MS = 2_000;
/** Long polls one agent may hold open (per API process): a newer one answers the oldest, empty. */
const MAX_OPEN_POLLS = 2;
const NOTHING: PollAnswer = { jobs: [], signals: [], commands: [] };

/** The agent's side, authenticated by its secret: heartbeats, long polls for work, its secret's rotation, its commands' answers. */
@Injectable()
export class AgentLinkService {
  /** Each agent's open long polls, oldest first. */
  private readonly openPolls = new Map<string, Set<AbortController>>();

  constructor(
    private readonly repo: AgentsRepository,
    private readonly wake: WakeUps,
    private readonly env: Environment,
  ) {}

  /**
   * The agent whose secret this is; refused with 401 (nothing changed) or 403 when disabled.
   * `outdated`: it presented the secret a rotation replaced (it never got the new one).
   */
  async authenticate(id: string, secret: string | null): Promise<{ agent: AgentRecord; outdated: boolean }> {
    const agent = secret ? await this.repo.byId(id) : null;
    if (!agent || !secret) throw new UnauthorizedError(`agent ${id}: unknown agent or bad secret`);
    const current = matchesHash(secret, agent.secretSha256);
    const previous =
      !current &&
      agent.previousSecretExpiresAt !== null &&
      agent.previousSecretExpiresAt.getTime() > Date.now() &&
      matchesHash(secret, agent.previousSecretSha256);
    if (!current && !previous) throw new UnauthorizedError(`agent ${id}: unknown agent or bad secret`);
    if (agent.disabledAt) throw new ForbiddenError(`agent ${id} is disabled`);
    // The new secret is in use: the agent has it safely, the old one can go.
    if (current && agent.previousSecretSha256) await this.repo.retirePreviousSecret(id);
    return { agent, outdated: !current };
  }

  async heartbeat(agent: AgentRecord, report: AgentReport, outdated = false): Promise<HeartbeatAnswer> {
    await this.repo.recordHeartbeat(agent.id, report);
    const maxAge = this.env.AGENT_SECRET_MAX_AGE_MS;
    const old = maxAge > 0 && Date.now() - agent.secretCreatedAt.getTime() > maxAge;
    return {
      heartbeat_ms: this.env.AGENT_HEARTBEAT_MS,
      long_poll_ms: this.env.AGENT_LONG_POLL_MS,
      rotate: agent.rotateRequestedAt !== null || old || outdated,
      drop: await this.repo.notRunningOn(agent.id, report.running),
    };
  }

  /**
   * Held open until there is something for the agent (a run, a signal for one of its runs, a
   * command) or the long poll's time is up; woken at once by the notification that something came.
   * Its secret is checked again each time it wakes: revoked or disabled, the poll ends with 401/403.
   * A poll that ended (the agent closed it to ask for a slot that freed) or that a newer one of the
   * agent replaced hands nothing out: the runs it would hand again come with the newer poll.
   */
  async poll(agent: AgentRecord, secret: string, req: PollRequest, gone: AbortSignal): Promise<PollAnswer> {
    if (req.poll_seq !== undefined) {
      const newer = await this.repo.recordPoll(agent.id, req.poll_seq);
      if (newer !== null) {
        throw new ConflictError(
          `agent ${agent.id}: poll ${req.poll_seq} is older than its poll ${newer}, already received (another agent running with this id, or its clock set back?)`,
          { poll_seq: newer },
        );
      }
    }
    const superseded = this.holdPoll(agent.id);
    const signal = AbortSignal.any([gone, superseded.signal]);
    try {
      const deadline = Date.now() + this.env.AGENT_LONG_POLL_MS;
      for (let first = true; ; first = false) {
        if (!first) agent = (await this.authenticate(agent.id, secret)).agent;
        if (signal.aborted || olderPoll(req.poll_seq, agent.pollSeq)) return NOTHING;
        const answer = await this.workFor(agent, secret, req);
        const left = deadline - Date.now();
        if (answer.jobs.length + answer.signals.length + answer.commands.length > 0 || left <= 0 || signal.aborted) return answer;
        await this.wake.wait(`work ${agent.id}`, Math.min(left, POLL_RECHECK_MS), signal);
      }
    } finally {
      this.openPolls.get(agent.id)?.delete(superseded);
      if (this.openPolls.get(agent.id)?.size === 0) this.openPolls.delete(agent.id);
    }
  }

  /** Counts a new long poll of the agent in; past MAX_OPEN_POLLS, the oldest is answered. */
  private holdPoll(agentId: string): AbortController {
    const open = this.openPolls.get(agentId) ?? new Set<AbortController>();
    this.openPolls.set(agentId, open);
    const mine = new AbortController();
    open.add(mine);
    for (const oldest of open) {
      if (open.size <= MAX_OPEN_POLLS) break;
      open.delete(oldest);
      oldest.abort();
    }
    return mine;
  }

  private async workFor(agent: AgentRecord, secret: string, req: PollRequest): Promise<PollAnswer> {
    const taking = !agent.drainRequested;
    const jobs = taking
      ? await this.repo.deliver(
          agent.id,
          sha256(secret),
          req.poll_seq,
          [...req.starting, ...req.running.map((r) => r.run_id)],
          req.free_slots,
          () => {
            const token = newSecret();
            return { token, sha: sha256(token) };
          },
        )
      : [];
    const signals = await this.repo.signalsFor(agent.id, req.running);
    const commands = await this.repo.pendingCommands(agent.id, req.commands);
    return {
      jobs: jobs.map((j) => ({ run_id: j.runId, token: j.token, spec: j.spec })),
      signals,
      commands: commands.map((c) => ({ id: c.id, run_id: c.runId, argv: c.argv, stdin: c.stdin ?? undefined, timeout_ms: c.timeoutMs })),
    };
  }

  /**
   * A new secret for the agent, answered once. The one it presented stays valid until the new one is
   * first used (at most ten minutes), so an answer lost on the way costs nothing: it asks again.
   */
  async rotate(agent: AgentRecord, presented: string): Promise<RotateAnswer> {
    const secret = newSecret();
    const presentedSha = sha256(presented);
    const rotated = await this.repo.replaceSecretFrom(agent.id, sha256(secret), presentedSha, new Date(Date.now() + ROTATION_OVERLAP_MS));
    if (!rotated) throw new UnauthorizedError(`agent ${agent.id}: the secret changed meanwhile`);
    return { secret };
  }

  async commandResult(agent: AgentRecord, id: string, r: CommandResult): Promise<void> {
    if (!/^\d{1,18}$/.test(id)) throw new NotFoundError(`no command ${id} for agent ${agent.id}`);
    const done = await this.repo.finishCommand(id, agent.id, { exitCode: r.exit_code ?? null, signal: r.signal ?? null, output: r.output });
    if (!done && (await this.repo.command(id))?.agentId !== agent.id) throw new NotFoundError(`no command ${id} for agent ${agent.id}`);
  }
}
