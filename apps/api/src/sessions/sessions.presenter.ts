import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CODECS, SESSION_KINDS } from '@runyard/sessions';
import type {
  ApplicationSummary,
  CallRecord,
  ClaimedCall,
  CallState,
  Codec,
  ExecutorBrief,
  FinishedCall,
  RemoteErrorInfo,
  Session,
  SessionKind,
  SessionStatus,
  SessionSummary,
} from '@runyard/sessions';

const b64 = (b: Buffer | null) => (b ? b.toString('base64') : null);
const TIME = { type: String, format: 'date-time' } as const;
const SHA = '9f2c1e0b7a6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b';

export class PackageView {
  @ApiProperty({ example: SHA })
  sha256: string;
  @ApiProperty({ type: 'integer', example: 48213 })
  size: number;
}

export class ApplicationView {
  @ApiProperty({ example: 'climate-stats' })
  name: string;
  @ApiProperty({ enum: ['node', 'python'], example: 'python' })
  runtime: string;
  @ApiProperty({ example: 'LOCAL_SDK' })
  profile: string;
  @ApiProperty({ type: 'string', nullable: true, example: null })
  workdir: string | null;
  @ApiProperty({ type: PackageView })
  package: PackageView;
  @ApiProperty({ type: 'integer', example: 1 })
  open_sessions: number;
  @ApiProperty({ example: 'alice' })
  created_by: string;
  @ApiProperty({ ...TIME, example: '2026-12-07T09:00:00.000Z' })
  created_at: Date;
  @ApiProperty({ ...TIME, example: '2026-12-07T09:01:30.000Z' })
  lease_expires_at: Date;
}

/** The answer of registering: the application, whether it existed (reuse), how often to renew its lease. */
export class RegisteredApplicationView extends ApplicationView {
  @ApiProperty({ example: false })
  reused: boolean;
  @ApiProperty({ type: 'integer', example: 90000, description: 'renew the lease within this (the SDKs renew every third of it)' })
  lease_ms: number;
}

export const presentApplication = (a: ApplicationSummary): ApplicationView => ({
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

export class SessionView {
  @ApiProperty({ type: 'integer', example: 7 })
  id: number;
  @ApiProperty({
    example: 'climate-stats-7',
    description: 'unique within the application: the one the client chose (Flame’s session id), else {application}-{id}',
  })
  name: string;
  @ApiProperty({ example: 'climate-stats' })
  application: string;
  @ApiProperty({ enum: SESSION_KINDS, example: 'function' })
  kind: SessionKind;
  @ApiProperty({ example: false, description: 'served one call at a time in submission order (a class or an instance)' })
  ordered: boolean;
  @ApiProperty({ type: 'integer', example: 2 })
  replicas: number;
  @ApiProperty({ type: [String], example: ['mean'] })
  methods: string[];
  @ApiProperty({ type: 'string', nullable: true, example: 'stats' })
  module: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'mean' })
  export: string | null;
  @ApiProperty({ enum: ['open', 'closed', 'lost'], example: 'open' })
  status: SessionStatus;
  @ApiProperty({ type: 'string', nullable: true, example: null })
  detail: string | null;
  @ApiProperty({ type: 'integer', example: 0 })
  state_version: number;
  @ApiProperty({ type: 'integer', example: 0 })
  restarts: number;
  @ApiPropertyOptional({ type: 'integer', example: 10, description: 'not in the answers of open and close' })
  calls?: number;
  @ApiPropertyOptional({ type: 'integer', example: 8 })
  finished_calls?: number;
  @ApiPropertyOptional({ type: [Number], example: [51, 52], description: 'its executors’ runs (kind session), oldest first' })
  run_ids?: number[];
  @ApiProperty({ example: 'alice' })
  created_by: string;
  @ApiProperty({ ...TIME, example: '2026-12-07T09:00:05.000Z' })
  created_at: Date;
  @ApiProperty({ ...TIME, nullable: true, example: null })
  closed_at: Date | null;
}

/** The answer of opening: the session, and whether an open one of that name was joined. */
export class OpenedSessionView extends SessionView {
  @ApiProperty({ example: false, description: 'an open session of that name was joined' })
  joined: boolean;
}

export const presentSession = (s: Session | SessionSummary): SessionView => ({
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

export class RemoteErrorView {
  @ApiProperty({ example: 'ZeroDivisionError' })
  type: string;
  @ApiProperty({ example: 'division by zero' })
  message: string;
  @ApiPropertyOptional({ example: 'Traceback (most recent call last): …' })
  stack?: string;
  @ApiPropertyOptional({ description: 'the Python exception, pickled (base64)' })
  pickled?: string;
}

export class FinishedCallView {
  @ApiProperty({ type: 'integer', example: 1 })
  seq: number;
  @ApiProperty({ example: 'climate-stats/7/1' })
  key: string;
  @ApiProperty({ enum: ['ready', 'failed'], example: 'ready' })
  state: 'ready' | 'failed';
  @ApiProperty({ enum: CODECS, nullable: true, example: 'cloudpickle' })
  codec: Codec | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 21 })
  size: number | null;
  @ApiProperty({ type: 'integer', example: 1 })
  version: number;
  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'gASVCAAAAAAAAABHQBgAAAAAAAAu',
    description: 'the result (base64) when small; else GET /api/v1/objects/{key}',
  })
  data: string | null;
  @ApiProperty({ type: RemoteErrorView, nullable: true, example: null })
  error: RemoteErrorInfo | null;
}

export const presentFinished = (r: FinishedCall): FinishedCallView => ({
  seq: r.seq,
  key: r.key,
  state: r.state,
  codec: r.codec,
  size: r.size,
  version: r.version,
  data: b64(r.inline),
  error: r.error,
});

export class SubmittedCallView {
  @ApiProperty({ type: 'integer', example: 1 })
  seq: number;
  @ApiProperty({ example: 'climate-stats/7/1', description: 'where its result will be' })
  key: string;
}

export class SubmittedCallsView {
  @ApiProperty({ type: [SubmittedCallView] })
  calls: SubmittedCallView[];
}

/** A session's call as its owner reads it back, arguments included. */
export class CallView {
  @ApiProperty({ type: 'integer', example: 1 })
  seq: number;
  @ApiProperty({ example: 'mean' })
  method: string;
  @ApiProperty({ enum: ['pending', 'running', 'done', 'failed', 'cancelled'] satisfies CallState[], example: 'done' })
  state: string;
  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'gASVDAAAAAAAAABdlChLAUsCSwNlLg==',
    description: 'the encoded arguments (base64) when they travelled inline',
  })
  args: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: null, description: 'else the object holding them' })
  args_key: string | null;
  @ApiProperty({ type: [String], example: [] })
  refs: string[];
  @ApiProperty({ example: 'climate-stats/7/1' })
  result_key: string;
  @ApiProperty({ ...TIME, example: '2026-12-07T09:00:06.000Z' })
  created_at: Date;
  @ApiProperty({ ...TIME, nullable: true, example: '2026-12-07T09:00:07.000Z' })
  finished_at: Date | null;
}

export const presentCall = (c: CallRecord): CallView => ({
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

export class ClaimedCallView {
  @ApiProperty({ type: 'integer', example: 301 })
  id: number;
  @ApiProperty({ type: 'integer', example: 1 })
  seq: number;
  @ApiProperty({ example: 'mean' })
  method: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'gASVDAAAAAAAAABdlChLAUsCSwNlLg==', description: 'base64, when small' })
  args: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: null, description: 'else the object holding them' })
  args_key: string | null;
  @ApiProperty({ type: [String], example: [] })
  refs: string[];
  @ApiProperty({ example: 'climate-stats/7/1' })
  result_key: string;
  @ApiProperty({ type: 'integer', example: 1 })
  attempt: number;
}

export const presentClaimed = (c: ClaimedCall): ClaimedCallView => ({
  id: c.id,
  seq: c.seq,
  method: c.method,
  args: b64(c.args),
  args_key: c.argsKey,
  refs: c.refs,
  result_key: c.resultKey,
  attempt: c.attempt,
});

export class StateView {
  @ApiProperty({ type: 'integer', example: 3 })
  version: number;
  @ApiProperty({ example: 'climate-stats/7/state-3' })
  key: string;
}

export class BriefView {
  @ApiProperty({ type: 'integer', example: 7 })
  session: number;
  @ApiProperty({ example: 'climate-stats-7', description: 'the session’s name' })
  name: string;
  @ApiProperty({ example: 'climate-stats' })
  application: string;
  @ApiProperty({ example: 'python' })
  runtime: string;
  @ApiProperty({ enum: SESSION_KINDS, example: 'function' })
  kind: string;
  @ApiProperty({ example: false })
  ordered: boolean;
  @ApiProperty({ enum: CODECS, example: 'cloudpickle' })
  codec: Codec;
  @ApiProperty({ type: [String], example: ['mean'] })
  methods: string[];
  @ApiProperty({ type: 'string', nullable: true, example: 'stats' })
  module: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'mean' })
  export: string | null;
  @ApiProperty({ example: 'climate-stats/7/service' })
  service_key: string;
  @ApiProperty({ type: StateView, nullable: true, example: null, description: 'the state to resume from (an ordered session)' })
  state: StateView | null;
  @ApiProperty({ type: PackageView })
  package: PackageView;
  @ApiProperty({ type: 'string', nullable: true, example: null })
  workdir: string | null;
}

export const presentBrief = (b: ExecutorBrief): BriefView => ({
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
