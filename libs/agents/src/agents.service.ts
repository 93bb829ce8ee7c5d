import { Injectable } from '@nestjs/common';
import { Environment } from '@runyard/config';
import { ConflictError, isUniqueViolation, NotFoundError } from '@runyard/runs';
import { AGENT_STATUSES, AgentDocument, AgentRecord, AgentStatus, presentAgent, statusOf } from './agent';
import { newSecret, sha256 } from './agent-secrets';
import { AgentPatch, AgentsRepository } from './agents.repository';

export interface NewAgent {
  id: string;
  name?: string;
  tags?: string[];
  maxConcurrency?: number;
}

/** The admin's side of the agents: register, look at, change, rotate the secret of, delete. */
@Injectable()
export class AgentsService {
  constructor(
    private readonly repo: AgentsRepository,
    private readonly env: Environment,
  ) {}

  private present = (a: AgentRecord, active: number) => presentAgent(a, active, this.env.AGENT_HEARTBEAT_MS);

  /** The secret is made here, answered this once and stored only as its SHA-256. */
  async create(a: NewAgent, createdBy: string): Promise<AgentDocument & { secret: string }> {
    const secret = newSecret();
    try {
      const record = await this.repo.insert({
        id: a.id,
        name: a.name ?? a.id,
        tags: [...new Set(a.tags ?? [])],
        maxConcurrency: a.maxConcurrency ?? 4,
        secretSha256: sha256(secret),
        createdBy,
      });
      return { ...this.present(record, 0), secret };
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError(`an agent ${JSON.stringify(a.id)} exists already`);
      throw e;
    }
  }

  async list(): Promise<AgentDocument[]> {
    return (await this.repo.listWithActive()).map((c) => this.present(c.agent, c.active));
  }

  async get(id: string): Promise<AgentDocument> {
    const agent = await this.repo.byId(id);
    if (!agent) throw new NotFoundError(`agent ${id} does not exist`);
    return this.present(agent, await this.repo.activeRunsOf(id));
  }

  async update(id: string, patch: AgentPatch): Promise<AgentDocument> {
    const agent = await this.repo.update(id, patch);
    if (!agent) throw new NotFoundError(`agent ${id} does not exist`);
    if (patch.disabled) await this.repo.revokeRuns(id, `agent ${id} was disabled`);
    return this.present(agent, await this.repo.activeRunsOf(id));
  }

  /**
   * Replaces the secret at once (revocation, as Automn's rotate does): the old one stops working, the
   * agent's open long polls end and its runs with their job tokens (as disabling it does), and the
   * operator gives the agent the new one. For rotation without downtime, PATCH `rotate_secret`.
   */
  async rotateSecret(id: string): Promise<{ id: string; secret: string }> {
    const secret = newSecret();
    if (!(await this.repo.replaceSecret(id, sha256(secret)))) throw new NotFoundError(`agent ${id} does not exist`);
    await this.repo.revokeRuns(id, `agent ${id}'s secret was revoked`);
    return { id, secret };
  }

  async delete(id: string): Promise<void> {
    const outcome = await this.repo.delete(id);
    if (outcome === 'missing') throw new NotFoundError(`agent ${id} does not exist`);
    if (outcome === 'busy') throw new ConflictError(`agent ${id} holds runs; drain it or wait for them to end`);
  }

  /** For /metrics: agents by status, and the runs each holds. */
  async figures(): Promise<{ byStatus: Record<AgentStatus, number>; active: { id: string; runs: number }[] }> {
    const all = await this.repo.listWithActive();
    const byStatus = Object.fromEntries(AGENT_STATUSES.map((s) => [s, 0])) as Record<AgentStatus, number>;
    for (const c of all) byStatus[statusOf(c.agent, this.env.AGENT_HEARTBEAT_MS)]++;
    return { byStatus, active: all.map((c) => ({ id: c.agent.id, runs: c.active })) };
  }
}
