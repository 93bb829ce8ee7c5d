import { Injectable } from '@nestjs/common';
import { AUTOMN_HOST_VERSION, AUTOMN_MINIMUM_RUNNER_VERSION } from '@runyard/agent-protocol';
import { Environment } from '@runyard/config';
import { AgentRecord, AGENT_ID, statusOf } from './agent';
import { AgentRouteError } from './agent-errors';
import { matchesHash } from './agent-secrets';
import { AgentsRepository } from './agents.repository';
import { DispatchKeys } from './dispatch-keys.service';
import { OutboundAddresses } from './outbound-addresses';

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const positiveInt = (v: unknown): number | null => {
  const n = Number.parseInt(String(v), 10);
  return Number.isFinite(n) && n > 0 ? n : null;
};
const short = (v: unknown, max = 64): string | null => (str(v) ? str(v).slice(0, max) : null);

/** Automn's runtime map (`{node: "20.1.0", python: "3.11"}`), kept to plain short strings. */
function runtimesOf(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v).slice(0, 16)) {
    if (/^[A-Za-z0-9_-]{1,32}$/.test(k) && (typeof value === 'string' || typeof value === 'number')) out[k] = String(value).slice(0, 64);
  }
  return out;
}

/**
 * Runyard as an Automn host: `POST /api/settings/runner-hosts/{id}/register` with Automn's body, its
 * checks in its order and its answer, so a stock Automn runner registers (and heartbeats) here and
 * is sent script runs over its `/api/run`. The agent is created by a Runyard admin first, as Automn's
 * admin creates the runner entry; its secret is the one Runyard issued.
 */
@Injectable()
export class AutomnHostService {
  constructor(
    private readonly repo: AgentsRepository,
    private readonly keys: DispatchKeys,
    private readonly env: Environment,
    private readonly outbound: OutboundAddresses,
  ) {}

  async register(rawId: string, body: unknown, clientIp: string | undefined) {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const id = str(rawId);
    if (!id) throw new AgentRouteError(400, 'Runner host id is required');
    const secret = str(b.secret);
    if (!secret) throw new AgentRouteError(400, 'Runner secret is required');
    const endpointText = str(b.endpoint);
    if (!endpointText) throw new AgentRouteError(400, 'Runner endpoint is required');
    let endpoint: URL;
    try {
      endpoint = new URL(endpointText);
    } catch {
      throw new AgentRouteError(400, 'Runner endpoint must be a valid http(s) URL');
    }
    if ((endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') || !endpoint.host || endpoint.username || endpoint.password) {
      throw new AgentRouteError(400, 'Runner endpoint must be a valid http(s) URL');
    }
    // Runyard will send requests there: not into its own network unless an admin allowed the range.
    await this.outbound.checkUrl(endpoint).catch((e: Error) => {
      throw new AgentRouteError(400, `Runner endpoint is refused: ${e.message}`, { code: 'endpoint_refused' });
    });
    const agent = AGENT_ID.test(id) ? await this.repo.byId(id) : null;
    if (!agent) throw new AgentRouteError(404, 'Runner host not found');
    if (agent.disabledAt) throw new AgentRouteError(403, 'Runner host is disabled', { code: 'runner_disabled' });
    const previousValid = agent.previousSecretExpiresAt !== null && agent.previousSecretExpiresAt.getTime() > Date.now();
    if (!matchesHash(secret, agent.secretSha256) && !(previousValid && matchesHash(secret, agent.previousSecretSha256))) {
      throw new AgentRouteError(401, 'Invalid runner secret', { code: 'invalid_secret' });
    }
    const signatures = b.dispatchSignatures === 'ed25519';
    const heartbeatMs = positiveInt(b.heartbeatMs);
    const updated = await this.repo.recordRegistration(id, {
      endpoint: endpoint.toString(),
      statusMessage: (short(b.statusMessage, 256) ?? (clientIp ? `Heartbeat from ${clientIp}` : 'Runner heartbeat received')) as string,
      advertisedConcurrency: positiveInt(b.maxConcurrency),
      heartbeatMs: heartbeatMs && heartbeatMs >= 100 ? heartbeatMs : null,
      dispatchSignatures: signatures,
      // A stock Automn runner checks on every dispatch the very secret it registered with: it has to be kept to send it runs.
      automnSecret: signatures ? null : secret,
      version: short(b.version),
      os: short(b.os),
      arch: short(b.arch),
      runtimes: runtimesOf(b.runtimes),
    });
    return {
      runnerHost: this.sanitized(updated),
      registered: true,
      hostVersion: AUTOMN_HOST_VERSION,
      minimumRunnerVersion: AUTOMN_MINIMUM_RUNNER_VERSION,
      ...(signatures ? { runyard: { dispatchKey: await this.keys.publicKey() } } : {}),
    };
  }

  /** Automn's `sanitizeRunnerHost` shape, without secrets. */
  private sanitized(a: AgentRecord) {
    const status = statusOf(a, this.env.AGENT_HEARTBEAT_MS);
    return {
      id: a.id,
      name: a.name,
      status: status === 'online' || status === 'draining' ? 'healthy' : status,
      statusMessage: a.statusMessage,
      endpoint: a.endpoint,
      lastSeenAt: a.lastSeenAt,
      maxConcurrency: a.advertisedConcurrency,
      runnerVersion: a.version,
      runnerOs: a.os,
      runnerArch: a.arch,
      runnerRuntimes: a.runtimes,
      hostVersion: AUTOMN_HOST_VERSION,
      minimumRunnerVersion: AUTOMN_MINIMUM_RUNNER_VERSION,
      createdAt: a.createdAt,
      disabledAt: a.disabledAt,
      isHealthy: status === 'online',
    };
  }
}
