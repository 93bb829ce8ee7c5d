import type { AgentView } from './http/agent.view';

/** An agent's status as users see it: derived from what it last said and when. */
export const AGENT_STATUSES = ['pending', 'online', 'offline', 'draining', 'disabled'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** Ids are chosen by the admin (like Automn's runner ids); tags are the words runs are routed by. */
export const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const AGENT_TAG = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const MAX_TAGS = 32;
export const MAX_AGENT_CONCURRENCY = 1024;
/** Automn's default heartbeat, assumed for a push agent that does not say its own. */
export const AUTOMN_HEARTBEAT_MS = 60_000;

/** A row of `agents`. */
export interface AgentRecord {
  id: string;
  name: string;
  tags: string[];
  maxConcurrency: number;
  secretSha256: string;
  secretCreatedAt: Date;
  previousSecretSha256: string | null;
  previousSecretExpiresAt: Date | null;
  rotateRequestedAt: Date | null;
  /** Set for a push agent (Automn's runner protocol): where its runs are sent. */
  endpoint: string | null;
  advertisedConcurrency: number | null;
  heartbeatMs: number | null;
  dispatchSignatures: boolean;
  /** Only for a stock Automn runner: it checks the secret it registered with on every dispatch. */
  automnSecret: string | null;
  statusMessage: string | null;
  version: string | null;
  os: string | null;
  arch: string | null;
  runtimes: Record<string, string>;
  drainRequested: boolean;
  agentDraining: boolean;
  disabledAt: Date | null;
  lastSeenAt: Date | null;
  /** The newest poll number the pull agent sent (null: none numbered yet). */
  pollSeq: number | null;
  createdAt: Date;
  createdBy: string;
}

/** How often the agent is expected to be heard from. */
export const heartbeatOf = (a: Pick<AgentRecord, 'endpoint' | 'heartbeatMs'>, pullHeartbeatMs: number): number =>
  a.heartbeatMs ?? (a.endpoint ? AUTOMN_HEARTBEAT_MS : pullHeartbeatMs);

/** Online = heard from within three heartbeats. */
export function statusOf(a: AgentRecord, pullHeartbeatMs: number, now = Date.now()): AgentStatus {
  if (a.disabledAt) return 'disabled';
  if (!a.lastSeenAt) return 'pending';
  if (now - a.lastSeenAt.getTime() > 3 * heartbeatOf(a, pullHeartbeatMs)) return 'offline';
  return a.drainRequested || a.agentDraining ? 'draining' : 'online';
}

/** The runs it may hold at once: the admin's cap, and the agent's own if it advertised a lower one. */
export const capacityOf = (a: Pick<AgentRecord, 'maxConcurrency' | 'advertisedConcurrency'>): number =>
  Math.min(a.maxConcurrency, a.advertisedConcurrency ?? Infinity);

/** An agent as the API shows it: never its secrets. */
export function presentAgent(a: AgentRecord, activeRuns: number, pullHeartbeatMs: number): AgentView {
  return {
    id: a.id,
    name: a.name,
    status: statusOf(a, pullHeartbeatMs),
    mode: a.endpoint ? 'push' : 'pull',
    tags: a.tags,
    max_concurrency: a.maxConcurrency,
    advertised_concurrency: a.advertisedConcurrency,
    active_runs: activeRuns,
    endpoint: a.endpoint,
    last_seen_at: a.lastSeenAt,
    status_message: a.statusMessage,
    version: a.version,
    os: a.os,
    arch: a.arch,
    runtimes: a.runtimes,
    drain: a.drainRequested,
    disabled: a.disabledAt !== null,
    secret_created_at: a.secretCreatedAt,
    created_at: a.createdAt,
    created_by: a.createdBy,
  };
}

export type AgentDocument = ReturnType<typeof presentAgent>;

/** A numbered poll older than the newest the agent sent (`newest`, as recorded): it hands nothing out. */
export const olderPoll = (seq: number | undefined, newest: number | null): boolean => seq !== undefined && newest !== null && newest > seq;
