import { AgentRecord, capacityOf, statusOf } from './agent';

const agent = (over: Partial<AgentRecord> = {}): AgentRecord =>
  ({
    id: 'a1',
    endpoint: null,
    heartbeatMs: null,
    lastSeenAt: null,
    disabledAt: null,
    drainRequested: false,
    agentDraining: false,
    maxConcurrency: 4,
    advertisedConcurrency: null,
    ...over,
  }) as AgentRecord;

describe("an agent's status", () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const ago = (ms: number) => new Date(now - ms);

  it('is pending until heard from, online within three heartbeats, offline after', () => {
    expect(statusOf(agent(), 1000, now)).toBe('pending');
    expect(statusOf(agent({ lastSeenAt: ago(2900) }), 1000, now)).toBe('online');
    expect(statusOf(agent({ lastSeenAt: ago(3100) }), 1000, now)).toBe('offline');
  });

  it("counts a push agent's heartbeats at Automn's 60 s unless it says its own", () => {
    expect(statusOf(agent({ endpoint: 'http://r/api/run', lastSeenAt: ago(120_000) }), 1000, now)).toBe('online');
    expect(statusOf(agent({ endpoint: 'http://r/api/run', heartbeatMs: 500, lastSeenAt: ago(2000) }), 1000, now)).toBe('offline');
  });

  it('is draining when the admin or the agent says so, and disabled above all', () => {
    expect(statusOf(agent({ lastSeenAt: ago(0), drainRequested: true }), 1000, now)).toBe('draining');
    expect(statusOf(agent({ lastSeenAt: ago(0), agentDraining: true }), 1000, now)).toBe('draining');
    expect(statusOf(agent({ lastSeenAt: ago(0), disabledAt: ago(5) }), 1000, now)).toBe('disabled');
  });

  it("holds at most the admin's cap, or the agent's own if it advertised a lower one", () => {
    expect(capacityOf(agent())).toBe(4);
    expect(capacityOf(agent({ advertisedConcurrency: 2 }))).toBe(2);
    expect(capacityOf(agent({ advertisedConcurrency: 9 }))).toBe(4);
  });
});
