import type { ApplicationSummary, CallRecord, ClaimedCall, ExecutorBrief, FinishedCall, Session, SessionSummary } from '@runyard/sessions';

const b64 = (b: Buffer | null) => (b ? b.toString('base64') : null);

export const presentApplication = (a: ApplicationSummary) => ({
  name: a.name,
  runtime: a.runtime,
  profile: a.profileName,
  workdir: a.workdir,
  package: { sha256: a.packageSha, size: a.packageSize },
  open_sessions: a.openSessions,
  created_by: a.createdBy,
  created_at: a.createdAt,
  lease_expires_at: a.leaseExpiresAt,
});

export const presentSession = (s: Session | SessionSummary) => ({
  id: s.id,
  name: s.name,
  application: s.application,
  kind: s.kind,
  ordered: s.ordered,
  replicas: s.replicas,
  methods: s.service.methods,
  module: s.service.module ?? null,
  export: s.service.export ?? null,
  status: s.status,
  detail: s.detail,
  state_version: s.stateVersion,
  restarts: s.restarts,
  ...('calls' in s ? { calls: s.calls, finished_calls: s.finishedCalls, run_ids: s.runIds } : {}),
  created_by: s.createdBy,
  created_at: s.createdAt,
  closed_at: s.closedAt,
});

export const presentFinished = (r: FinishedCall) => ({
  seq: r.seq,
  key: r.key,
  state: r.state,
  codec: r.codec,
  size: r.size,
  version: r.version,
  data: b64(r.inline),
  error: r.error,
});

export const presentCall = (c: CallRecord) => ({
  seq: c.seq,
  method: c.method,
  state: c.state,
  args: b64(c.args),
  args_key: c.argsKey,
  refs: c.refs,
  result_key: c.resultKey,
  created_at: c.createdAt,
  finished_at: c.finishedAt,
});

export const presentClaimed = (c: ClaimedCall) => ({
  id: c.id,
  seq: c.seq,
  method: c.method,
  args: b64(c.args),
  args_key: c.argsKey,
  refs: c.refs,
  result_key: c.resultKey,
  attempt: c.attempt,
});

export const presentBrief = (b: ExecutorBrief) => ({
  session: b.session,
  name: b.name,
  application: b.application,
  runtime: b.runtime,
  kind: b.kind,
  ordered: b.ordered,
  codec: b.codec,
  methods: b.methods,
  module: b.module,
  export: b.export,
  service_key: b.serviceKey,
  state: b.state,
  package: b.package,
  workdir: b.workdir,
});
