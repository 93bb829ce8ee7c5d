import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { JobSpec } from '@runyard/agent-protocol';
import { returnedRows } from '@runyard/runs';
import { AgentRecord, AUTOMN_HEARTBEAT_MS, olderPoll } from './agent';

/** Postgres channel of the agents' wake-ups: `work <agent id>`, `job <run id>`, `command <id>`. */
export const AGENT_EVENTS = 'runyard_agent_events';

/** Where a run handed to an agent is: assigned → accepted → running → finished, or withdrawn / lost. */
export type AssignmentState = 'assigned' | 'accepted' | 'running' | 'finished' | 'withdrawn' | 'lost';
const ACTIVE = ['assigned', 'accepted', 'running'];
const STARTED = ['accepted', 'running'];

/** A row of `agent_assignments`, with when its agent was last heard from. */
export interface Assignment {
  runId: number;
  agentId: string;
  via: 'pull' | 'push';
  state: AssignmentState;
  spec: JobSpec;
  jobTokenSha256: string | null;
  pid: number | null;
  runDir: string | null;
  signal: string | null;
  signalSeq: number;
  exitCode: number | null;
  exitSignal: string | null;
  error: string | null;
  resultFile: Buffer | null;
  acceptDeadline: Date;
  agentLastSeenAt: Date | null;
  agentDisabled: boolean;
}

/** A row of `agent_commands`. */
export interface AgentCommandRow {
  id: string;
  runId: number;
  agentId: string;
  argv: string[];
  stdin: string | null;
  timeoutMs: number;
  state: 'pending' | 'done';
  exitCode: number | null;
  exitSignal: string | null;
  output: string | null;
}

export interface AgentCandidate {
  agent: AgentRecord;
  active: number;
}

/** What routes a run: a pinned agent and/or the tags it needs; push agents take only scripts. */
export interface AgentFilter {
  agentId?: string;
  tags: string[];
  pushToo: boolean;
}

export type AgentPatch = Partial<Pick<AgentRecord, 'name' | 'tags' | 'maxConcurrency' | 'drainRequested'>> & {
  disabled?: boolean;
  rotateRequested?: boolean;
};

export interface AgentMetadata {
  version?: string | null;
  os?: string | null;
  arch?: string | null;
  runtimes?: Record<string, string>;
}

const toDate = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));
/** A bigint column (pg answers it as text). */
const toNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function agentOf(r: Record<string, unknown>): AgentRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    tags: (r.tags as string[]) ?? [],
    maxConcurrency: r.max_concurrency as number,
    secretSha256: r.secret_sha256 as string,
    secretCreatedAt: toDate(r.secret_created_at)!,
    previousSecretSha256: (r.previous_secret_sha256 as string | null) ?? null,
    previousSecretExpiresAt: toDate(r.previous_secret_expires_at),
    rotateRequestedAt: toDate(r.rotate_requested_at),
    endpoint: (r.endpoint as string | null) ?? null,
    advertisedConcurrency: (r.advertised_concurrency as number | null) ?? null,
    heartbeatMs: (r.heartbeat_ms as number | null) ?? null,
    dispatchSignatures: r.dispatch_signatures === true,
    automnSecret: (r.automn_secret as string | null) ?? null,
    statusMessage: (r.status_message as string | null) ?? null,
    version: (r.version as string | null) ?? null,
    os: (r.os as string | null) ?? null,
    arch: (r.arch as string | null) ?? null,
    runtimes: (r.runtimes as Record<string, string>) ?? {},
    drainRequested: r.drain_requested === true,
    agentDraining: r.agent_draining === true,
    disabledAt: toDate(r.disabled_at),
    lastSeenAt: toDate(r.last_seen_at),
    pollSeq: toNumber(r.poll_seq),
    createdAt: toDate(r.created_at)!,
    createdBy: r.created_by as string,
  };
}

function assignmentOf(r: Record<string, unknown>): Assignment {
  return {
    runId: r.run_id as number,
    agentId: r.agent_id as string,
    via: r.via as 'pull' | 'push',
    state: r.state as AssignmentState,
    spec: r.spec as JobSpec,
    jobTokenSha256: (r.job_token_sha256 as string | null) ?? null,
    pid: (r.pid as number | null) ?? null,
    runDir: (r.run_dir as string | null) ?? null,
    signal: (r.signal as string | null) ?? null,
    signalSeq: r.signal_seq as number,
    exitCode: (r.exit_code as number | null) ?? null,
    exitSignal: (r.exit_signal as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    resultFile: (r.result_file as Buffer | null) ?? null,
    acceptDeadline: toDate(r.accept_deadline)!,
    agentLastSeenAt: toDate(r.agent_last_seen_at),
    agentDisabled: r.agent_disabled_at !== null && r.agent_disabled_at !== undefined,
  };
}

function commandOf(r: Record<string, unknown>): AgentCommandRow {
  return {
    id: String(r.id),
    runId: r.run_id as number,
    agentId: r.agent_id as string,
    argv: r.argv as string[],
    stdin: (r.stdin as string | null) ?? null,
    timeoutMs: r.timeout_ms as number,
    state: r.state as 'pending' | 'done',
    exitCode: (r.exit_code as number | null) ?? null,
    exitSignal: (r.exit_signal as string | null) ?? null,
    output: (r.output as string | null) ?? null,
  };
}

const ASSIGNMENT_COLUMNS = `x.*, a.last_seen_at AS agent_last_seen_at, a.disabled_at AS agent_disabled_at`;
const ACTIVE_COUNT = `(SELECT count(*) FROM agent_assignments x WHERE x.agent_id = a.id AND x.state = ANY('{assigned,accepted,running}'))::int`;

/** Every statement on the agents' tables: agents, the runs handed to them, the commands sent to them. */
@Injectable()
export class AgentsRepository {
  constructor(private readonly db: DataSource) {}

  // --- agents ---

  async insert(a: Pick<AgentRecord, 'id' | 'name' | 'tags' | 'maxConcurrency' | 'secretSha256' | 'createdBy'>): Promise<AgentRecord> {
    const [row] = await this.db.query(
      `INSERT INTO agents (id, name, tags, max_concurrency, secret_sha256, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [a.id, a.name, a.tags, a.maxConcurrency, a.secretSha256, a.createdBy],
    );
    return agentOf(row);
  }

  async byId(id: string): Promise<AgentRecord | null> {
    const [row] = await this.db.query(`SELECT * FROM agents WHERE id = $1`, [id]);
    return row ? agentOf(row) : null;
  }

  /** Every agent with the runs it holds now. */
  async listWithActive(): Promise<AgentCandidate[]> {
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT a.*, ${ACTIVE_COUNT} AS active FROM agents a ORDER BY a.id`);
    return rows.map((r) => ({ agent: agentOf(r), active: Number(r.active) }));
  }

  async activeRunsOf(id: string): Promise<number> {
    const [row] = await this.db.query(`SELECT count(*)::int AS n FROM agent_assignments WHERE agent_id = $1 AND state = ANY($2)`, [
      id,
      ACTIVE,
    ]);
    return Number(row.n);
  }

  async update(id: string, p: AgentPatch): Promise<AgentRecord | null> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (sql: string, value: unknown) => sets.push(sql.replace('?', `$${params.push(value)}`));
    if (p.name !== undefined) set('name = ?', p.name);
    if (p.tags !== undefined) set('tags = ?', p.tags);
    if (p.maxConcurrency !== undefined) set('max_concurrency = ?', p.maxConcurrency);
    if (p.drainRequested !== undefined) set('drain_requested = ?', p.drainRequested);
    if (p.disabled !== undefined) sets.push(p.disabled ? 'disabled_at = coalesce(disabled_at, now())' : 'disabled_at = NULL');
    if (p.rotateRequested) sets.push('rotate_requested_at = now()');
    if (sets.length === 0) return this.byId(id);
    const rows = returnedRows<Record<string, unknown>>(
      await this.db.query(`UPDATE agents SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params),
    );
    return rows[0] ? agentOf(rows[0]) : null;
  }

  /** A new secret from the admin: the old one (and any previous one) stops working now. */
  async replaceSecret(id: string, sha: string): Promise<boolean> {
    const rows = returnedRows(
      await this.db.query(
        `UPDATE agents SET secret_sha256 = $2, secret_created_at = now(), rotate_requested_at = NULL, automn_secret = NULL,
                previous_secret_sha256 = NULL, previous_secret_expires_at = NULL
          WHERE id = $1 RETURNING id`,
        [id, sha],
      ),
    );
    return rows.length > 0;
  }

  /** The agent's own rotation: the secret it presented becomes the previous one, valid until `overlapUntil`. */
  async replaceSecretFrom(id: string, sha: string, presentedSha: string, overlapUntil: Date): Promise<boolean> {
    const rows = returnedRows(
      await this.db.query(
        `UPDATE agents SET secret_sha256 = $2, secret_created_at = now(), rotate_requested_at = NULL,
                previous_secret_sha256 = $3, previous_secret_expires_at = $4
          WHERE id = $1 AND (secret_sha256 = $3 OR previous_secret_sha256 = $3) RETURNING id`,
        [id, sha, presentedSha, overlapUntil],
      ),
    );
    return rows.length > 0;
  }

  /** The new secret was used: the previous one is no longer needed. */
  async retirePreviousSecret(id: string): Promise<void> {
    await this.db.query(
      `UPDATE agents SET previous_secret_sha256 = NULL, previous_secret_expires_at = NULL WHERE id = $1 AND previous_secret_sha256 IS NOT NULL`,
      [id],
    );
  }

  /** Deletes an agent that holds no run; answers whether it did, or why not. */
  async delete(id: string): Promise<'deleted' | 'busy' | 'missing'> {
    const rows = returnedRows(
      await this.db.query(
        `DELETE FROM agents a WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM agent_assignments x WHERE x.agent_id = a.id AND x.state = ANY($2)) RETURNING id`,
        [id, ACTIVE],
      ),
    );
    if (rows.length > 0) return 'deleted';
    return (await this.byId(id)) ? 'busy' : 'missing';
  }

  /** A pull agent's heartbeat: when, what it is, whether it is shutting down. */
  async recordHeartbeat(id: string, m: AgentMetadata & { draining: boolean }): Promise<void> {
    await this.db.query(
      `UPDATE agents SET last_seen_at = now(), endpoint = NULL, heartbeat_ms = NULL, automn_secret = NULL, agent_draining = $2,
              version = $3, os = $4, arch = $5, runtimes = $6 WHERE id = $1`,
      [id, m.draining, m.version ?? null, m.os ?? null, m.arch ?? null, JSON.stringify(m.runtimes ?? {})],
    );
  }

  /** A push agent's registration (Automn's heartbeat): where to send its runs and what it is. */
  async recordRegistration(
    id: string,
    r: AgentMetadata & {
      endpoint: string;
      statusMessage: string;
      advertisedConcurrency: number | null;
      heartbeatMs: number | null;
      dispatchSignatures: boolean;
      automnSecret: string | null;
    },
  ): Promise<AgentRecord> {
    const [row] = returnedRows<Record<string, unknown>>(
      await this.db.query(
        `UPDATE agents SET last_seen_at = now(), endpoint = $2, status_message = $3, advertised_concurrency = $4, heartbeat_ms = $5,
                dispatch_signatures = $6, automn_secret = $7, version = $8, os = $9, arch = $10, runtimes = $11, agent_draining = false
          WHERE id = $1 RETURNING *`,
        [
          id,
          r.endpoint,
          r.statusMessage,
          r.advertisedConcurrency,
          r.heartbeatMs ?? AUTOMN_HEARTBEAT_MS,
          r.dispatchSignatures,
          r.automnSecret,
          r.version ?? null,
          r.os ?? null,
          r.arch ?? null,
          JSON.stringify(r.runtimes ?? {}),
        ],
      ),
    );
    return agentOf(row);
  }

  // --- routing ---

  /** Agents that may take a run now, least busy first (ties: the most recently heard from). */
  async candidates(f: AgentFilter, pullHeartbeatMs: number): Promise<AgentCandidate[]> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT a.*, ${ACTIVE_COUNT} AS active FROM agents a
        WHERE a.disabled_at IS NULL AND NOT a.drain_requested AND NOT a.agent_draining
          AND a.last_seen_at > now() - make_interval(secs => 3 * coalesce(a.heartbeat_ms, CASE WHEN a.endpoint IS NULL THEN $1::int ELSE $2::int END) / 1000.0)
          AND ($3::varchar IS NULL OR a.id = $3) AND a.tags @> $4::text[] AND (a.endpoint IS NULL OR $5)
        ORDER BY ${ACTIVE_COUNT}::float / LEAST(a.max_concurrency, coalesce(a.advertised_concurrency, a.max_concurrency)), a.last_seen_at DESC`,
      [pullHeartbeatMs, AUTOMN_HEARTBEAT_MS, f.agentId ?? null, f.tags, f.pushToo],
    );
    return rows.map((r) => ({ agent: agentOf(r), active: Number(r.active) }));
  }

  /** Every agent the filter names, whatever its state (to say why none can take a run). */
  async matching(f: AgentFilter): Promise<AgentCandidate[]> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT a.*, ${ACTIVE_COUNT} AS active FROM agents a
        WHERE ($1::varchar IS NULL OR a.id = $1) AND a.tags @> $2::text[] AND (a.endpoint IS NULL OR $3)`,
      [f.agentId ?? null, f.tags, f.pushToo],
    );
    return rows.map((r) => ({ agent: agentOf(r), active: Number(r.active) }));
  }

  /**
   * Hands the run to the agent if it still has a free slot: its row is locked first, so two runs
   * handed at once cannot both take its last slot. The agent's long poll is woken on commit.
   */
  async assign(
    agent: AgentRecord,
    capacity: number,
    a: { runId: number; via: 'pull' | 'push'; spec: JobSpec; acceptMs: number },
  ): Promise<boolean> {
    return this.db.transaction(async (m: EntityManager) => {
      const [locked] = await m.query(`SELECT id FROM agents WHERE id = $1 AND disabled_at IS NULL FOR UPDATE`, [agent.id]);
      if (!locked) return false;
      const [count] = await m.query(`SELECT count(*)::int AS n FROM agent_assignments WHERE agent_id = $1 AND state = ANY($2)`, [
        agent.id,
        ACTIVE,
      ]);
      if (Number(count.n) >= capacity) return false;
      const inserted = await m.query(
        `INSERT INTO agent_assignments (run_id, agent_id, via, state, spec, accept_deadline)
         VALUES ($1, $2, $3, 'assigned', $4, now() + make_interval(secs => $5 / 1000.0))
         ON CONFLICT (run_id) DO UPDATE SET agent_id = $2, via = $3, state = 'assigned', spec = $4, job_token_sha256 = NULL, pid = NULL,
                run_dir = NULL, signal = NULL, signal_seq = 0, exit_code = NULL, exit_signal = NULL, error = NULL, result_file = NULL,
                accept_deadline = now() + make_interval(secs => $5 / 1000.0), assigned_at = now(), started_at = NULL, finished_at = NULL
          WHERE agent_assignments.state = ANY('{withdrawn,finished,lost}')
         RETURNING run_id`,
        [a.runId, agent.id, a.via, JSON.stringify(a.spec), a.acceptMs],
      );
      if (returnedRows(inserted).length === 0) return false;
      await m.query(`SELECT pg_notify($1, 'work ' || $2)`, [AGENT_EVENTS, agent.id]);
      return true;
    });
  }

  // --- runs handed to agents ---

  async assignment(runId: number): Promise<Assignment | null> {
    const [row] = await this.db.query(
      `SELECT ${ASSIGNMENT_COLUMNS} FROM agent_assignments x JOIN agents a ON a.id = x.agent_id WHERE x.run_id = $1`,
      [runId],
    );
    return row ? assignmentOf(row) : null;
  }

  async assignments(runIds: number[]): Promise<Assignment[]> {
    if (runIds.length === 0) return [];
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT ${ASSIGNMENT_COLUMNS} FROM agent_assignments x JOIN agents a ON a.id = x.agent_id WHERE x.run_id = ANY($1)`,
      [runIds],
    );
    return rows.map(assignmentOf);
  }

  /**
   * A numbered poll of the pull agent: recorded as its newest unless a newer one was. Answers the
   * newer number recorded, or null when this poll is the agent's newest (the same number again too:
   * a request repeated with another secret).
   */
  async recordPoll(agentId: string, seq: number): Promise<number | null> {
    const recorded = returnedRows(
      await this.db.query(`UPDATE agents SET poll_seq = $2 WHERE id = $1 AND (poll_seq IS NULL OR poll_seq <= $2) RETURNING id`, [
        agentId,
        seq,
      ]),
    );
    if (recorded.length > 0) return null;
    const [row] = await this.db.query(`SELECT poll_seq FROM agents WHERE id = $1`, [agentId]);
    return toNumber(row?.poll_seq);
  }

  /**
   * Runs handed to this agent that it has not taken yet, each with a fresh job token (the hash
   * replaces any earlier one); none once the secret it presented (`secretSha`) was revoked or the
   * agent disabled, checked in the same statement. A numbered poll (`pollSeq`) that a newer one of
   * the agent replaced gets none: the agent's row is locked against the newer one's record
   * (recordPoll) meanwhile, so the newer poll hands the runs out after this one, with the tokens that count.
   */
  async deliver(
    agentId: string,
    secretSha: string,
    pollSeq: number | undefined,
    exclude: number[],
    limit: number,
    tokenSha: () => { token: string; sha: string },
  ) {
    if (limit <= 0) return [];
    return this.db.transaction(async (m: EntityManager) => {
      const [agent] = await m.query(`SELECT poll_seq FROM agents WHERE id = $1 FOR SHARE`, [agentId]);
      if (olderPoll(pollSeq, toNumber(agent?.poll_seq))) return [];
      const rows: { run_id: number }[] = await m.query(
        `SELECT run_id FROM agent_assignments WHERE agent_id = $1 AND via = 'pull' AND state = 'assigned' AND accept_deadline > now()
            AND NOT run_id = ANY($2) ORDER BY assigned_at LIMIT $3`,
        [agentId, exclude, limit],
      );
      const jobs: { runId: number; token: string; spec: JobSpec }[] = [];
      for (const { run_id } of rows) {
        const { token, sha } = tokenSha();
        const [row] = returnedRows<{ spec: JobSpec }>(
          await m.query(
            `UPDATE agent_assignments SET job_token_sha256 = $3 WHERE run_id = $1 AND agent_id = $2 AND state = 'assigned'
                AND EXISTS (SELECT 1 FROM agents a WHERE a.id = $2 AND a.disabled_at IS NULL AND $4 IN (a.secret_sha256, a.previous_secret_sha256))
              RETURNING spec`,
            [run_id, agentId, sha, secretSha],
          ),
        );
        if (row) jobs.push({ runId: run_id, token, spec: row.spec });
      }
      return jobs;
    });
  }

  /** assigned → accepted (the agent took it) or withdrawn (it declined, or the worker stopped waiting); false if it moved on. */
  async moveFromAssigned(runId: number, to: 'accepted' | 'withdrawn'): Promise<boolean> {
    return this.changed(
      `WITH u AS (UPDATE agent_assignments SET state = $2 WHERE run_id = $1 AND state = 'assigned' RETURNING run_id)
       SELECT run_id, pg_notify($3, 'job ' || run_id) FROM u`,
      [runId, to, AGENT_EVENTS],
    );
  }

  /** Push dispatch: the run is under way on the agent as soon as it answers. */
  async markRunning(runId: number, place: { pid: number; runDir: string }): Promise<boolean> {
    return this.changed(
      `WITH u AS (UPDATE agent_assignments SET state = 'running', pid = $2, run_dir = $3, started_at = now()
                   WHERE run_id = $1 AND state = ANY($4) RETURNING run_id)
       SELECT run_id, pg_notify($5, 'job ' || run_id) FROM u`,
      [runId, place.pid, place.runDir, ['assigned', 'accepted'], AGENT_EVENTS],
    );
  }

  async finishAssignment(
    runId: number,
    end: { exitCode: number | null; signal: string | null; error?: string | null; resultFile?: Buffer | null },
  ): Promise<boolean> {
    return this.changed(
      `WITH u AS (UPDATE agent_assignments SET state = 'finished', exit_code = $2, exit_signal = $3, error = $4, result_file = $5, finished_at = now()
                   WHERE run_id = $1 AND state = ANY($6) RETURNING run_id)
       SELECT run_id, pg_notify($7, 'job ' || run_id) FROM u`,
      [runId, end.exitCode, end.signal, end.error ?? null, end.resultFile ?? null, ['assigned', ...STARTED], AGENT_EVENTS],
    );
  }

  /**
   * Its secret revoked or the agent disabled: its pull runs end now, their job tokens void. Runs it had
   * not taken go back to the queue (withdrawn), those it had are LOST with `reason`; its open long
   * polls and the workers following the runs are woken.
   */
  async revokeRuns(agentId: string, reason: string): Promise<void> {
    await this.db.query(
      `WITH u AS (UPDATE agent_assignments SET state = CASE WHEN state = 'assigned' THEN 'withdrawn' ELSE 'lost' END, error = $2,
                         job_token_sha256 = NULL, finished_at = now()
                   WHERE agent_id = $1 AND via = 'pull' AND state = ANY($3) RETURNING run_id)
       SELECT pg_notify($4, 'job ' || run_id) FROM u UNION ALL SELECT pg_notify($4, 'work ' || $1::text)`,
      [agentId, reason, ACTIVE, AGENT_EVENTS],
    );
  }

  /** Its agent was silent past the window: what it ran is given up. */
  async markLost(runId: number): Promise<boolean> {
    return this.changed(
      `UPDATE agent_assignments SET state = 'lost', finished_at = now() WHERE run_id = $1 AND state = ANY($2) RETURNING run_id`,
      [runId, STARTED],
    );
  }

  /** A stop's signal for the agent to send; its open long poll is woken. False if the run is not under way there. */
  async requestSignal(runId: number, signal: string): Promise<boolean> {
    return this.changed(
      `WITH u AS (UPDATE agent_assignments SET signal = $2, signal_seq = signal_seq + 1 WHERE run_id = $1 AND state = ANY($3) RETURNING agent_id)
       SELECT agent_id, pg_notify($4, 'work ' || agent_id) FROM u`,
      [runId, signal, STARTED, AGENT_EVENTS],
    );
  }

  /** Signals asked for since the ones the agent says it acted on. */
  async signalsFor(agentId: string, known: { run_id: number; signal_seq: number }[]) {
    const rows: { run_id: number; signal: string; signal_seq: number }[] = await this.db.query(
      `SELECT x.run_id, x.signal, x.signal_seq FROM agent_assignments x
         JOIN unnest($2::int[], $3::int[]) AS k(run_id, seq) ON k.run_id = x.run_id
        WHERE x.agent_id = $1 AND x.state = ANY($4) AND x.signal IS NOT NULL AND x.signal_seq > k.seq`,
      [agentId, known.map((k) => k.run_id), known.map((k) => k.signal_seq), STARTED],
    );
    return rows.map((r) => ({ run_id: r.run_id, signal: r.signal, seq: r.signal_seq }));
  }

  /** Of the runs an agent says it runs, those that are not (anymore) under way there. */
  async notRunningOn(agentId: string, runIds: number[]): Promise<number[]> {
    if (runIds.length === 0) return [];
    const rows: { id: number }[] = await this.db.query(
      `SELECT id FROM unnest($2::int[]) AS id
        WHERE NOT EXISTS (SELECT 1 FROM agent_assignments x WHERE x.run_id = id AND x.agent_id = $1 AND x.state = ANY($3))`,
      [agentId, runIds, STARTED],
    );
    return rows.map((r) => r.id);
  }

  async deleteAssignment(runId: number): Promise<void> {
    await this.db.query(`DELETE FROM agent_assignments WHERE run_id = $1`, [runId]);
  }

  // --- commands ---

  async insertCommand(c: { runId: number; agentId: string; argv: string[]; stdin: string | null; timeoutMs: number }): Promise<string> {
    const [row] = await this.db.query(
      `WITH c AS (INSERT INTO agent_commands (run_id, agent_id, argv, stdin, timeout_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id, agent_id)
       SELECT id, pg_notify($6, 'work ' || agent_id) FROM c`,
      [c.runId, c.agentId, JSON.stringify(c.argv), c.stdin, c.timeoutMs, AGENT_EVENTS],
    );
    return String(row.id);
  }

  async pendingCommands(agentId: string, exclude: string[]): Promise<AgentCommandRow[]> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT * FROM agent_commands WHERE agent_id = $1 AND state = 'pending' AND NOT id = ANY($2::bigint[]) ORDER BY id`,
      [agentId, exclude],
    );
    return rows.map(commandOf);
  }

  async command(id: string): Promise<AgentCommandRow | null> {
    const [row] = await this.db.query(`SELECT * FROM agent_commands WHERE id = $1`, [id]);
    return row ? commandOf(row) : null;
  }

  /** The command's answer, from the agent it was sent to only. */
  async finishCommand(
    id: string,
    agentId: string,
    r: { exitCode: number | null; signal: string | null; output: string },
  ): Promise<boolean> {
    return this.changed(
      `WITH u AS (UPDATE agent_commands SET state = 'done', exit_code = $3, exit_signal = $4, output = $5, finished_at = now()
                   WHERE id = $1 AND agent_id = $2 AND state = 'pending' RETURNING id)
       SELECT id, pg_notify($6, 'command ' || id) FROM u`,
      [id, agentId, r.exitCode, r.signal, r.output, AGENT_EVENTS],
    );
  }

  async deleteCommand(id: string): Promise<void> {
    await this.db.query(`DELETE FROM agent_commands WHERE id = $1`, [id]);
  }

  // --- the key push dispatches are signed with ---

  /** The deployment's one key pair, made by whoever needs it first. */
  async dispatchKey(make: () => { privateKey: string; publicKey: string }): Promise<{ privateKey: string; publicKey: string }> {
    const [found] = await this.db.query(`SELECT private_key, public_key FROM agent_dispatch_key WHERE id = 1`);
    if (found) return { privateKey: found.private_key, publicKey: found.public_key };
    const k = make();
    await this.db.query(`INSERT INTO agent_dispatch_key (id, private_key, public_key) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`, [
      k.privateKey,
      k.publicKey,
    ]);
    const [row] = await this.db.query(`SELECT private_key, public_key FROM agent_dispatch_key WHERE id = 1`);
    return { privateKey: row.private_key, publicKey: row.public_key };
  }

  private async changed(sql: string, params: unknown[]): Promise<boolean> {
    return returnedRows(await this.db.query(sql, params)).length > 0;
  }
}
