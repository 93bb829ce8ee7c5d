import { FIRE_OUTCOMES, OVERLAP_POLICIES, RUN_STATUSES } from '@runyard/persistence';

/** JSON schemas of what the routes answer (the request schemas come from the DTOs' validation rules). */
export type Schema = Record<string, unknown>;

const str = { type: 'string' };
const int = { type: 'integer' };
const nullable = (s: Schema): Schema => ({ ...s, nullable: true });
const obj = (properties: Record<string, Schema>, required?: string[]): Schema => ({
  type: 'object',
  properties,
  ...(required ? { required } : {}),
});
const arr = (items: Schema): Schema => ({ type: 'array', items });

export const ERROR_BODY = obj({ error: { type: 'boolean', enum: [true] }, error_message: str, run_id: nullable(int) }, [
  'error',
  'error_message',
]);

const RUN_STATUS = { type: 'string', enum: [...RUN_STATUSES] };
const RUN = obj({
  id: int,
  kind: str,
  expid: nullable(str),
  profile: nullable(str),
  runner: str,
  module_loader: str,
  modules: arr(str),
  argv: arr(str),
  status: RUN_STATUS,
  detail: nullable(str),
  exit_code: nullable(int),
  pid: nullable(int),
  host: nullable(str),
  target: nullable({
    type: 'object',
    description: 'where the run went, as its runner describes it (SSH: host, port, user)',
    additionalProperties: true,
  }),
  run_dir: nullable(str),
  result: nullable({ type: 'object' }),
  requested_by: str,
  session_id: nullable({ ...int, description: 'the Runner SDK session whose executor the run is' }),
  attempts: { ...int, description: 'the attempt under way or the last one (RETRY)' },
  last_error: nullable({ ...str, description: 'why the previous attempt failed' }),
  deadline_at: nullable({ type: 'string', format: 'date-time', description: 'when the attempt times out (TIMEOUT)' }),
  log_bytes: int,
  log_truncated_bytes: int,
  created_at: { type: 'string', format: 'date-time' },
  started_at: nullable({ type: 'string', format: 'date-time' }),
  finished_at: nullable({ type: 'string', format: 'date-time' }),
  modified_at: { type: 'string', format: 'date-time' },
});
const RUNNER_STATUS = obj({
  expid: str,
  runner_id: nullable(int),
  runner: nullable(str),
  module_loader: nullable(str),
  modules: nullable(str),
  status: { type: 'string', enum: ['ACTIVE', 'COMPLETED', 'TERMINATED', 'NO_RUNNER'] },
  pid: nullable(int),
  created: nullable(str),
  modified: nullable(str),
  detailed_status: nullable(RUN_STATUS),
  exit_code: nullable(int),
});
const MESSAGE = obj({ message: str, run_id: int });
const ALPHA_MESSAGE = obj({ message: str, runner_id: int });
const KERNEL_STATE = { type: 'string', enum: ['SCHEDULED', 'SUBMITTED', 'FINISHED', 'SUBMISSION_FAILED'] };
const KCIDB = obj({ submitted: { type: 'boolean' }, error: nullable(str) });
const BUILD = obj({
  id: int,
  runner: str,
  toolchain: str,
  arch: str,
  tree: str,
  branch: str,
  kconfig: nullable(str),
  fragments: arr(str),
  state: KERNEL_STATE,
  uid: nullable(str),
  result: nullable(str),
  artifacts: obj({ kernel_image: nullable(str), modules: nullable(str), kernel_version: nullable(str) }),
  error: nullable(str),
  kcidb: KCIDB,
});
const TEST = obj({
  id: int,
  kind: { type: 'string', enum: ['test', 'boot'] },
  runner: str,
  build_id: str,
  kernel_image_url: str,
  modules_url: nullable(str),
  tests: arr(str),
  collection: nullable(str),
  device: str,
  state: KERNEL_STATE,
  uid: nullable(str),
  result: nullable(str),
  results_stored: { type: 'boolean' },
  error: nullable(str),
  results: { type: 'object', additionalProperties: str, description: 'one verdict per test (PASS, FAIL, MISS, …)' },
  kcidb: KCIDB,
});
const TOKEN = obj({
  id: str,
  name: str,
  role: { type: 'string', enum: ['viewer', 'operator', 'admin'] },
  created_at: str,
  created_by: str,
  last_used_at: nullable(str),
  revoked_at: nullable(str),
});
const PROFILE = obj({
  RUNNER_TYPE: str,
  MODULE_LOADER_TYPE: str,
  MODULES: { oneOf: [str, arr(str)] },
  SSH: obj({ HOST: str, PORT: int, USER: str }),
});
const TIME = { type: 'string', format: 'date-time' };
const SCHEDULE = obj({
  name: str,
  cron: str,
  timezone: str,
  expid: str,
  profile_name: str,
  profile_params: nullable({ type: 'object' }),
  overlap: { type: 'string', enum: [...OVERLAP_POLICIES] },
  paused: { type: 'boolean' },
  paused_reason: nullable({ ...str, description: "why Runyard paused it (its owner's token revoked, …); null when a request did" }),
  next_fires: { ...arr(TIME), description: 'the next 3 fire times (none while paused)' },
  fires: { ...int, description: 'runs it started' },
  last_fire_at: nullable(TIME),
  last_run_id: nullable(int),
  skips: { ...int, description: 'fires skipped because the experiment was still running' },
  last_skip_at: nullable(TIME),
  last_skip_reason: nullable(str),
  waiting_since: nullable({ ...TIME, description: 'overlap=queue: the fire waiting for the current run to end' }),
  recent: {
    ...arr(obj({ at: TIME, outcome: { type: 'string', enum: [...FIRE_OUTCOMES] }, run_id: nullable(int), detail: nullable(str) })),
    description: 'its newest fires, newest first',
  },
  created_by: str,
  created_at: TIME,
  updated_at: TIME,
});
const TEXT = { content: 'text/plain' };

const TIME_OR_NULL = nullable({ type: 'string', format: 'date-time' });
const SDK_PACKAGE = obj({ sha256: str, size: int });
const APPLICATION = obj({
  name: str,
  runtime: { type: 'string', enum: ['node', 'python'] },
  profile: str,
  workdir: nullable(str),
  package: SDK_PACKAGE,
  open_sessions: int,
  created_by: str,
  created_at: TIME,
  lease_expires_at: TIME,
});
const SDK_SESSION = obj({
  id: int,
  name: { ...str, description: 'unique within the application: the one the client chose (Flame’s session id), else {application}-{id}' },
  application: str,
  kind: { type: 'string', enum: ['function', 'class', 'instance'] },
  ordered: { type: 'boolean', description: 'served one call at a time in submission order (a class or an instance)' },
  replicas: int,
  methods: arr(str),
  module: nullable(str),
  export: nullable(str),
  status: { type: 'string', enum: ['open', 'closed', 'lost'] },
  detail: nullable(str),
  state_version: int,
  restarts: int,
  calls: int,
  finished_calls: int,
  run_ids: { ...arr(int), description: 'its executors’ runs (kind session), oldest first' },
  created_by: str,
  created_at: TIME,
  closed_at: TIME_OR_NULL,
});
const REMOTE_ERROR = obj({
  type: str,
  message: str,
  stack: str,
  pickled: { ...str, description: 'the Python exception, pickled (base64)' },
});
const FINISHED_CALL = obj({
  seq: int,
  key: str,
  state: { type: 'string', enum: ['ready', 'failed'] },
  codec: nullable(str),
  size: nullable(int),
  version: int,
  data: nullable({ ...str, description: 'the result (base64) when small; else GET /api/v1/objects/{key}' }),
  error: nullable(REMOTE_ERROR),
});
const CLAIMED_CALL = obj({
  id: int,
  seq: int,
  method: str,
  args: nullable(str),
  args_key: nullable(str),
  refs: arr(str),
  result_key: str,
  attempt: int,
});
const SIZE = obj({ size: int });
const BYTES = { content: 'application/octet-stream' };

type Tag =
  | 'Autosubmit v4'
  | 'Autosubmit v4alpha'
  | 'Runs'
  | 'Schedules'
  | 'Runner SDK'
  | 'Runner SDK executors'
  | 'Kernel CI'
  | 'TuxSuite callbacks'
  | 'Tokens'
  | 'Operations'
  | 'Agents'
  | 'Agent protocol';

export interface RouteDoc {
  tag: Tag;
  summary: string;
  description: string;
  status: number;
  schema?: Schema;
  /** A non-JSON answer's content type. */
  content?: string;
  headers?: Record<string, Schema>;
}

const AGENT = obj({
  id: str,
  name: str,
  status: { type: 'string', enum: ['pending', 'online', 'offline', 'draining', 'disabled'] },
  mode: { type: 'string', enum: ['pull', 'push'] },
  tags: arr(str),
  max_concurrency: int,
  advertised_concurrency: nullable(int),
  active_runs: int,
  endpoint: nullable(str),
  last_seen_at: nullable({ type: 'string', format: 'date-time' }),
  status_message: nullable(str),
  version: nullable(str),
  os: nullable(str),
  arch: nullable(str),
  runtimes: { type: 'object', additionalProperties: { type: 'string' } },
  drain: { type: 'boolean' },
  disabled: { type: 'boolean' },
  secret_created_at: { type: 'string', format: 'date-time' },
  created_at: { type: 'string', format: 'date-time' },
  created_by: str,
});
const OFFSETS = obj({ stdout: int, stderr: int });
const AGENTS: Tag = 'Agents';
const PROTOCOL: Tag = 'Agent protocol';

const LOCATION = { Location: { description: 'the URL of the recorded build or test', schema: str } };
const V4: Tag = 'Autosubmit v4';
const ALPHA: Tag = 'Autosubmit v4alpha';
const KERNEL: Tag = 'Kernel CI';
const SDK: Tag = 'Runner SDK';
const EXECUTORS: Tag = 'Runner SDK executors';

/** Per route: its tag, summary, success status and schema (or a content type for non-JSON answers). */
export const RESPONSES: Record<string, RouteDoc> = {
  'post /api/v1/runs': {
    tag: 'Runs',
    summary: 'Submit a run of an experiment',
    status: 202,
    schema: RUN,
    description: 'the accepted run (not waiting for it to start); follow it with GET /api/v1/runs/{id}',
  },
  'get /api/v1/runs': {
    tag: 'Runs',
    summary: 'List runs, newest first',
    status: 200,
    schema: obj({ runs: arr(RUN), next_before: nullable(int), total: int }),
    description:
      'newest first, filtered by experiment, status, kind, profile, agent and requester; total: how many match; pass next_before as before for the next page',
  },
  'get /api/v1/runs/{id}': {
    tag: 'Runs',
    summary: 'Get a run',
    status: 200,
    schema: RUN,
    description: 'the run: status, why, exit code, argv',
  },
  'get /api/v1/runs/{id}/logs': {
    tag: 'Runs',
    summary: 'Read or follow a run’s output',
    status: 200,
    ...TEXT,
    description:
      'stdout and stderr in arrival order; with follow=true NDJSON frames {"type":"log"|"result",…} (or SSE with Accept: text/event-stream)',
  },
  'post /api/v1/runs/{id}/stop': {
    tag: 'Runs',
    summary: 'Stop a run',
    status: 200,
    schema: RUN,
    description: 'the run once ended (or still STOPPING after the grace periods)',
  },
  'post /api/v1/runs/{id}/resubmit': {
    tag: 'Runs',
    summary: 'Run a finished run again',
    status: 202,
    schema: RUN,
    description: 'the new run: the same command on the same settings (409 while the run is unfinished; not a session’s executor)',
  },
  'post /api/v1/schedules': {
    tag: 'Schedules',
    summary: 'Schedule runs of an experiment (cron)',
    status: 201,
    schema: SCHEDULE,
    description: 'the schedule with its next fire times; a bad cron or timezone answers 400 with the reason, a taken name 409',
  },
  'get /api/v1/schedules': {
    tag: 'Schedules',
    summary: 'List schedules',
    status: 200,
    schema: obj({ schedules: arr(SCHEDULE) }),
    description: 'by name, each with its next fire times, its counts and its newest fires',
  },
  'get /api/v1/schedules/{name}': {
    tag: 'Schedules',
    summary: 'Get a schedule',
    status: 200,
    schema: SCHEDULE,
    description: 'its next fire times, runs started, skips and newest fires',
  },
  'post /api/v1/schedules/{name}/pause': {
    tag: 'Schedules',
    summary: 'Pause a schedule',
    status: 200,
    schema: SCHEDULE,
    description: 'no fires until resumed (a fire waiting for a run is dropped)',
  },
  'post /api/v1/schedules/{name}/resume': {
    tag: 'Schedules',
    summary: 'Resume a schedule',
    status: 200,
    schema: SCHEDULE,
    description: 'fires again from its next fire time',
  },
  'delete /api/v1/schedules/{name}': {
    tag: 'Schedules',
    summary: 'Delete a schedule',
    status: 204,
    description: 'deleted, with its job scheduler',
  },
  'get /api/v1/packages/{sha}': {
    tag: SDK,
    summary: 'Find a package by its SHA-256',
    status: 200,
    schema: SDK_PACKAGE,
    description:
      'stored (404: upload it; 413 when the size the client gives is over PACKAGE_MAX_BYTES; 503 when the storage directory is missing)',
  },
  'put /api/v1/packages/{sha}': {
    tag: SDK,
    summary: 'Upload a package (gzip tar, application/octet-stream)',
    status: 201,
    schema: SDK_PACKAGE,
    description: 'stored once its SHA-256 matches the path (200 when it was stored already; 400 when it does not match)',
  },
  'delete /api/v1/packages/{sha}': {
    tag: SDK,
    summary: 'Release a package',
    status: 204,
    description: 'deleted; 409 while an application uses it',
  },
  'post /api/v1/applications': {
    tag: SDK,
    summary: 'Register an application',
    status: 201,
    schema: { ...APPLICATION, properties: { ...(APPLICATION.properties as object), reused: { type: 'boolean' }, lease_ms: int } },
    description:
      'registered with a lease to renew (200 and reused=true with reuse; 409 when the name is taken; 400 when no profile runs the runtime)',
  },
  'get /api/v1/applications': {
    tag: SDK,
    summary: 'List applications',
    status: 200,
    schema: obj({ applications: arr(APPLICATION) }),
    description: 'every registered application, by name',
  },
  'get /api/v1/applications/{app}': {
    tag: SDK,
    summary: 'Get an application',
    status: 200,
    schema: APPLICATION,
    description: 'the application',
  },
  'post /api/v1/applications/{app}/lease': {
    tag: SDK,
    summary: 'Renew an application’s lease',
    status: 200,
    schema: obj({ lease_expires_at: TIME, lease_ms: int }),
    description: 'the client is alive: the reaper leaves the application alone until the new expiry',
  },
  'delete /api/v1/applications/{app}': {
    tag: SDK,
    summary: 'Unregister an application',
    status: 200,
    schema: obj({ name: str, package_sha: str }),
    description: 'its sessions closed (executors stopped) and the application unregistered; its objects and package are released apart',
  },
  'post /api/v1/sessions': {
    tag: SDK,
    summary: 'Open a session (a service) and start its executors',
    status: 201,
    schema: obj({
      ...(SDK_SESSION.properties as Record<string, Schema>),
      joined: { type: 'boolean', description: 'an open session of that name was joined' },
    }),
    description:
      'the session, its executors queued as runs of kind session through the application’s profile; with a name, the open session of that name (400 when it serves another service, 409 when it is not open)',
  },
  'get /api/v1/sessions': {
    tag: SDK,
    summary: 'List sessions, newest first',
    status: 200,
    schema: obj({ sessions: arr(SDK_SESSION) }),
    description: 'filtered by application, name and status',
  },
  'get /api/v1/sessions/{id}': { tag: SDK, summary: 'Get a session', status: 200, schema: SDK_SESSION, description: 'the session' },
  'delete /api/v1/sessions/{id}': {
    tag: SDK,
    summary: 'Close a session',
    status: 200,
    schema: SDK_SESSION,
    description: 'closed: its pending calls cancelled (their results fail with SessionClosedError), its executors exit',
  },
  'post /api/v1/sessions/{id}/calls': {
    tag: SDK,
    summary: 'Submit calls, in order',
    status: 201,
    schema: obj({ calls: arr(obj({ seq: int, key: str })) }),
    description: 'their sequence numbers and result keys; the same batch sent again answers as stored; 409 when the session is not open',
  },
  'get /api/v1/sessions/{id}/calls': {
    tag: SDK,
    summary: 'Read a session’s calls and their arguments',
    status: 200,
    schema: obj({
      calls: arr(
        obj({
          seq: int,
          method: str,
          state: str,
          args: { ...nullable(str), description: 'the encoded arguments (base64) when they travelled inline' },
          args_key: nullable(str),
          refs: arr(str),
          result_key: str,
          created_at: TIME,
          finished_at: TIME_OR_NULL,
        }),
      ),
    }),
    description: 'in submission order, after the sequence number `after`; only the session’s owner or an admin (403 otherwise)',
  },
  'get /api/v1/sessions/{id}/results': {
    tag: SDK,
    summary: 'Wait for calls’ results',
    status: 200,
    schema: obj({ status: str, detail: nullable(str), results: arr(FINISHED_CALL) }),
    description: 'the finished calls among seqs, long-polling up to wait_ms (at most 30 s) for one',
  },
  'get /api/v1/objects/{app}/{session}/{object}': {
    tag: SDK,
    summary: 'Read an object (a call’s result)',
    status: 200,
    ...BYTES,
    description: 'its bytes (X-Runyard-Codec, ETag = version); 202 while its call runs, 424 with remote_error when it failed',
  },
  'put /api/v1/objects/{app}/{session}': {
    tag: SDK,
    summary: 'Put an object (application/octet-stream)',
    status: 201,
    schema: obj({ key: str, size: int }),
    description: 'stored under {app}/shared or a session of the app (Flame’s put_object; large call arguments)',
  },
  'delete /api/v1/objects/{app}': {
    tag: SDK,
    summary: 'Delete an application’s objects',
    status: 204,
    description: 'deleted, rows and files',
  },
  'get /api/v1/executor/session': {
    tag: EXECUTORS,
    summary: 'What the executor serves',
    status: 200,
    schema: obj({
      session: int,
      name: str,
      application: str,
      runtime: str,
      kind: str,
      ordered: { type: 'boolean' },
      codec: str,
      methods: arr(str),
      module: nullable(str),
      export: nullable(str),
      service_key: str,
      state: nullable(obj({ version: int, key: str })),
      package: SDK_PACKAGE,
      workdir: nullable(str),
    }),
    description: 'the service, the state to resume from, the package; 410 once the executor was replaced or its session is gone',
  },
  'get /api/v1/executor/package': {
    tag: EXECUTORS,
    summary: 'The application’s package',
    status: 200,
    content: 'application/gzip',
    description: 'gzip tar',
  },
  'get /api/v1/executor/objects/{app}/{session}/{object}': {
    tag: EXECUTORS,
    summary: 'Read an object of the executor’s application',
    status: 200,
    ...BYTES,
    description: 'an argument, the service or its state; 202 while pending',
  },
  'put /api/v1/executor/uploads/calls/{call}': {
    tag: EXECUTORS,
    summary: 'Upload a large result before committing it',
    status: 200,
    schema: SIZE,
    description: 'written; the next exchange commits it (staged)',
  },
  'put /api/v1/executor/uploads/state/{version}': {
    tag: EXECUTORS,
    summary: 'Upload a large state before committing it',
    status: 200,
    schema: SIZE,
    description: 'written; the next exchange commits it (staged)',
  },
  'post /api/v1/executor/calls': {
    tag: EXECUTORS,
    summary: 'Submit calls to its own session',
    status: 201,
    schema: obj({ calls: arr(obj({ seq: int, key: str })) }),
    description: 'calls the served code makes on its own session (Flame’s recursive services); 409 for an ordered session',
  },
  'post /api/v1/executor/exchange': {
    tag: EXECUTORS,
    summary: 'Commit results (and state) and take the next calls',
    status: 200,
    schema: obj({ open: { type: 'boolean' }, calls: arr(CLAIMED_CALL) }),
    description:
      'one transaction guarded by the state version; the next calls long-polled up to wait_ms; 403 (nothing stored) for a call not handed to this executor; 401 once its run ended; 410 for a replaced executor or an ended session',
  },
  'post /api/v1/executor/fatal': {
    tag: EXECUTORS,
    summary: 'Report that the executor cannot serve its session',
    status: 204,
    description: 'the session is lost, with this message for its client',
  },
  'get /v4/runners/configuration/ssh-public-keys': {
    tag: V4,
    summary: 'List the SSH public keys',
    status: 200,
    schema: arr(str),
    description: 'SSH_PUBLIC_KEYS of the configuration',
  },
  'get /v4/runners/configuration/profiles': {
    tag: V4,
    summary: 'List the runner profiles',
    status: 200,
    schema: { type: 'object', additionalProperties: PROFILE },
    description: 'profiles, without key locations',
  },
  'get /v4/runners/configuration/endpoints': {
    tag: V4,
    summary: 'List the endpoint toggles',
    status: 200,
    schema: { type: 'object', additionalProperties: obj({ ENABLED: { type: 'boolean' } }) },
    description: 'which command endpoints are enabled',
  },
  'post /v4/runners/command/run-experiment': {
    tag: V4,
    summary: 'Run an experiment through a profile',
    status: 200,
    schema: MESSAGE,
    description: 'started (answers once the process has its pid)',
  },
  'post /v4/runners/command/get-runner-run-status': {
    tag: V4,
    summary: 'Get an experiment’s run status',
    status: 200,
    schema: RUNNER_STATUS,
    description: 'the experiment’s latest run',
  },
  'post /v4/runners/command/stop-experiment': {
    tag: V4,
    summary: 'Stop an experiment',
    status: 200,
    schema: obj({ message: str, run_id: int, detailed_status: RUN_STATUS }),
    description: 'autosubmit stop, then signals',
  },
  'post /v4/runners/command/set-job-status': {
    tag: V4,
    summary: 'Set the status of jobs',
    status: 200,
    schema: MESSAGE,
    description: 'autosubmit setstatus succeeded',
  },
  'post /v4/runners/command/create-experiment': {
    tag: V4,
    summary: 'Create an experiment',
    status: 200,
    schema: obj({ expid: nullable(str), message: str, run_id: int }),
    description: 'autosubmit expid succeeded; the new expid',
  },
  'post /v4/runners/command/update-experiment-description': {
    tag: V4,
    summary: 'Update an experiment’s description',
    status: 200,
    schema: MESSAGE,
    description: 'autosubmit updatedescrip succeeded',
  },
  'get /v4alpha/runner-detail': {
    tag: ALPHA,
    summary: 'Get the Autosubmit version through a runner',
    status: 200,
    schema: obj({ runner: str, module_loader: str, modules: arr(str), version: nullable(str) }),
    description: 'executes autosubmit -v through that runner and loader (operator)',
  },
  'post /v4alpha/experiments/{expid}/run-experiment': {
    tag: ALPHA,
    summary: 'Run an experiment',
    status: 200,
    schema: obj({ expid: str, runner: str, module_loader: str, modules: nullable(str), runner_id: int, pid: nullable(int) }),
    description: 'started',
  },
  'get /v4alpha/experiments/{expid}/get-runner-status': {
    tag: ALPHA,
    summary: 'Get an experiment’s runner status',
    status: 200,
    schema: RUNNER_STATUS,
    description: 'the experiment’s latest run',
  },
  'post /v4alpha/experiments/{expid}/stop-experiment': {
    tag: ALPHA,
    summary: 'Stop an experiment',
    status: 200,
    schema: obj({ message: str, runner_id: int, detailed_status: RUN_STATUS }),
    description: 'stopped',
  },
  'post /v4alpha/experiments/{expid}/set-job-status': {
    tag: ALPHA,
    summary: 'Set the status of jobs',
    status: 200,
    schema: ALPHA_MESSAGE,
    description: 'autosubmit setstatus succeeded',
  },
  'post /v4alpha/experiments/{expid}/create-job-list': {
    tag: ALPHA,
    summary: 'Create the job list',
    status: 200,
    schema: ALPHA_MESSAGE,
    description: 'autosubmit create succeeded',
  },
  'post /v4alpha/runner-create-experiment': {
    tag: ALPHA,
    summary: 'Create an experiment',
    status: 200,
    schema: obj({ expid: nullable(str), message: str, runner_id: int }),
    description: 'the new expid',
  },
  'post /api/v1/builds/run': {
    tag: KERNEL,
    summary: 'Schedule a kernel build (the bridge’s path)',
    status: 204,
    headers: LOCATION,
    description: 'recorded and queued; no body, as the bridge answers (POST /api/v1/builds answers the build)',
  },
  'post /api/v1/tests/run': {
    tag: KERNEL,
    summary: 'Schedule kernel tests (the bridge’s path)',
    status: 204,
    headers: LOCATION,
    description: 'recorded and queued; no body, as the bridge answers (POST /api/v1/tests answers the test)',
  },
  'post /api/v1/boot-test/run': {
    tag: KERNEL,
    summary: 'Schedule a boot test (the bridge’s path)',
    status: 204,
    headers: LOCATION,
    description: 'recorded and queued: a test run without tests; no body, as the bridge answers',
  },
  'post /api/v1/tests/submit': {
    tag: KERNEL,
    summary: 'Submit test results run elsewhere (the bridge’s path)',
    status: 204,
    headers: LOCATION,
    description: 'stored and submitted to KCIDB; kept for /api/v1/sync/results when KCIDB refuses',
  },
  'post /api/v1/builds': {
    tag: KERNEL,
    summary: 'Schedule a kernel build',
    status: 202,
    schema: BUILD,
    headers: LOCATION,
    description: 'the recorded build',
  },
  'post /api/v1/tests': {
    tag: KERNEL,
    summary: 'Schedule kernel tests (or a boot test: no tests)',
    status: 202,
    schema: TEST,
    headers: LOCATION,
    description: 'the recorded test',
  },
  'get /api/v1/builds': { tag: KERNEL, summary: 'List kernel builds', status: 200, schema: arr(BUILD), description: 'newest first' },
  'get /api/v1/builds/{id}': {
    tag: KERNEL,
    summary: 'Get a kernel build',
    status: 200,
    schema: BUILD,
    description: 'state, TuxSuite uid, result, artifacts, KCIDB state',
  },
  'get /api/v1/tests': { tag: KERNEL, summary: 'List kernel tests', status: 200, schema: arr(TEST), description: 'newest first' },
  'get /api/v1/tests/{id}': {
    tag: KERNEL,
    summary: 'Get a kernel test with its results',
    status: 200,
    schema: TEST,
    description: 'one verdict per test; error says why results are missing',
  },
  'post /api/v1/sync/results': {
    tag: KERNEL,
    summary: 'Submit pending test results to KCIDB',
    status: 204,
    description: 'KCIDB submission queued (what it has not accepted yet)',
  },
  'post /api/v1/sync/builds': {
    tag: KERNEL,
    summary: 'Submit pending builds to KCIDB',
    status: 204,
    description: 'KCIDB submission queued (what it has not accepted yet)',
  },
  'post /api/v1/tuxsuite/callback/{kind}': {
    tag: 'TuxSuite callbacks',
    summary: 'Receive a TuxSuite callback',
    status: 204,
    description: 'stored, or a repeat of a stored callback (signed with x-tux-payload-signature)',
  },
  'post /api/v1/tokens': {
    tag: 'Tokens',
    summary: 'Create an API token',
    status: 201,
    schema: { ...TOKEN, properties: { ...(TOKEN.properties as object), token: str } },
    description: 'the token, shown this once',
  },
  'get /api/v1/tokens': { tag: 'Tokens', summary: 'List API tokens', status: 200, schema: arr(TOKEN), description: 'never their secrets' },
  'delete /api/v1/tokens/{id}': { tag: 'Tokens', summary: 'Revoke an API token', status: 204, description: 'revoked' },
  'get /api/v1/me': {
    tag: 'Tokens',
    summary: 'Who this token is',
    status: 200,
    schema: obj({ name: str, role: str }),
    description: 'the token’s name and role (viewer, operator, admin)',
  },
  'get /api/v1/audit': {
    tag: 'Tokens',
    summary: 'Read the audit trail',
    status: 200,
    schema: arr(obj({ id: str, at: str, actor: str, method: str, path: str, status: int })),
    description: 'every write request (the dashboard’s included), newest first',
  },
  'post /api/v1/scripts/run': {
    tag: 'Runs',
    summary: 'Run a script (Node, Python, shell) on an agent or a worker',
    status: 202,
    schema: RUN,
    description: 'the accepted run (kind script); its return value is result.return_data once it ended',
  },
  'post /api/v1/agents': {
    tag: AGENTS,
    summary: 'Register a runner agent',
    status: 201,
    schema: { ...AGENT, properties: { ...(AGENT.properties as object), secret: str } },
    description: 'the agent with its secret, shown this once (admins)',
  },
  'get /api/v1/agents': {
    tag: AGENTS,
    summary: 'List the runner agents',
    status: 200,
    schema: arr(AGENT),
    description: 'never their secrets',
  },
  'get /api/v1/agents/{agentId}': {
    tag: AGENTS,
    summary: 'Get a runner agent',
    status: 200,
    schema: AGENT,
    description: 'its status and load',
  },
  'patch /api/v1/agents/{agentId}': {
    tag: AGENTS,
    summary: 'Change a runner agent',
    status: 200,
    schema: AGENT,
    description: 'tags, cap, disabled, drain; rotate_secret: the agent replaces its secret on its next heartbeat',
  },
  'post /api/v1/agents/{agentId}/rotate-secret': {
    tag: AGENTS,
    summary: 'Replace an agent’s secret now',
    status: 200,
    schema: obj({ id: str, secret: str }),
    description: 'the new secret, shown this once; the old one stops working',
  },
  'delete /api/v1/agents/{agentId}': {
    tag: AGENTS,
    summary: 'Delete a runner agent',
    status: 204,
    description: 'deleted (409 while it holds runs)',
  },
  'post /api/v1/agents/{agentId}/heartbeat': {
    tag: PROTOCOL,
    summary: 'An agent reports (its secret as the bearer)',
    status: 200,
    schema: obj({ heartbeat_ms: int, long_poll_ms: int, rotate: { type: 'boolean' }, drop: arr(int) }),
    description: 'when to report again, whether to rotate its secret, runs that are not its own any more',
  },
  'post /api/v1/agents/{agentId}/poll': {
    tag: PROTOCOL,
    summary: 'An agent waits for work (long poll; its secret as the bearer)',
    status: 200,
    schema: obj({ jobs: arr({ type: 'object' }), signals: arr({ type: 'object' }), commands: arr({ type: 'object' }) }),
    description: 'runs handed to it (each with a job token), signals for its runs, commands; empty after AGENT_LONG_POLL_MS',
  },
  'post /api/v1/agents/{agentId}/rotate': {
    tag: PROTOCOL,
    summary: 'An agent replaces its secret (its secret as the bearer)',
    status: 200,
    schema: obj({ secret: str }),
    description: 'the new secret; the presented one works until the new one is used',
  },
  'post /api/v1/agents/{agentId}/commands/{commandId}/result': {
    tag: PROTOCOL,
    summary: 'An agent answers a command (its secret as the bearer)',
    status: 204,
    description: 'stored',
  },
  'get /api/v1/agent-jobs/{runId}': {
    tag: PROTOCOL,
    summary: 'A run’s state on the agent’s side (its job token as the bearer)',
    status: 200,
    schema: obj({ state: str, offsets: OFFSETS }),
    description: 'where the stored output ends',
  },
  'post /api/v1/agent-jobs/{runId}/accept': {
    tag: PROTOCOL,
    summary: 'An agent takes a run',
    status: 204,
    description: 'taken (409: taken back)',
  },
  'post /api/v1/agent-jobs/{runId}/decline': {
    tag: PROTOCOL,
    summary: 'An agent hands a run back',
    status: 204,
    description: 'back to the queue',
  },
  'post /api/v1/agent-jobs/{runId}/started': { tag: PROTOCOL, summary: 'An agent started a run', status: 204, description: 'recorded' },
  'post /api/v1/agent-jobs/{runId}/output': {
    tag: PROTOCOL,
    summary: 'An agent appends output at a byte offset',
    status: 200,
    schema: obj({ appended: { type: 'boolean' }, offset: int }),
    description: 'where the stored stream ends: a chunk sent again is not stored twice',
  },
  'post /api/v1/agent-jobs/{runId}/finish': {
    tag: PROTOCOL,
    summary: 'An agent reports a run’s end',
    status: 204,
    description: 'recorded (idempotent; 409 with the stored offsets until all its output is stored)',
  },
  'post /api/settings/runner-hosts/{runnerId}/register': {
    tag: PROTOCOL,
    summary: 'Automn’s runner registration and heartbeat (the secret in the body)',
    status: 200,
    schema: obj({ runnerHost: { type: 'object' }, registered: { type: 'boolean' }, hostVersion: str, minimumRunnerVersion: str }),
    description: 'as an Automn host answers (400, 404, 403, 401 otherwise)',
  },
  'get /health': { tag: 'Operations', summary: 'Alive', status: 200, schema: obj({ status: str }), description: 'the process answers' },
  'get /health/ready': {
    tag: 'Operations',
    summary: 'Ready',
    status: 200,
    schema: obj({ status: str, info: { type: 'object' }, details: { type: 'object' } }),
    description: 'database and queue answer (else 503 with what is down)',
  },
  'get /metrics': {
    tag: 'Operations',
    summary: 'Prometheus metrics',
    status: 200,
    content: 'text/plain',
    description: 'Prometheus exposition format; a token unless METRICS_PUBLIC=true',
  },
  'get /docs': { tag: 'Operations', summary: 'These docs (Swagger UI)', status: 200, content: 'text/html', description: 'the docs page' },
  'get /docs-json': {
    tag: 'Operations',
    summary: 'This document (JSON)',
    status: 200,
    content: 'application/json',
    description: 'OpenAPI 3',
  },
  'get /docs-yaml': { tag: 'Operations', summary: 'This document (YAML)', status: 200, content: 'text/yaml', description: 'OpenAPI 3' },
  'get /admin/queues': {
    tag: 'Operations',
    summary: 'The queue dashboard (Bull Board)',
    status: 200,
    content: 'text/html',
    description: 'every queue and job; an admin token; its write actions (retry, clean, pause, delete) are audited',
  },
};

/** Pages served outside Nest's routes, documented all the same. */
export const PAGES: Record<string, Record<string, Schema>> = Object.fromEntries(
  ['/docs', '/docs-json', '/docs-yaml', '/admin/queues'].map((path) => [path, { get: { operationId: `page ${path}`, parameters: [] } }]),
);

/** Query parameters per route: a query DTO's schema, or the names and schemas of single ones. */
export const QUERIES: Record<string, { from: string | Record<string, Schema>; omit?: string[]; descriptions?: Record<string, string> }> = {
  'get /api/v1/runs': {
    from: 'ListRunsQuery',
    descriptions: {
      before: 'the next_before of the previous page',
      limit: 'at most this many runs (default 50)',
      agent: 'runs an agent took (its id)',
      requester: 'runs a token (its name) or a schedule (schedule <name>) asked for',
    },
  },
  'get /api/v1/runs/{id}/logs': {
    from: { follow: { type: 'string', enum: ['true', 'false', '1', '0'], description: 'stream until the run ends' } },
  },
  'get /v4alpha/runner-detail': {
    from: 'RunnerSelectionDto',
    omit: ['runner_extra_params'],
    descriptions: {
      runner: 'local or ssh',
      module_loader: 'conda, venv, lmod or no_module',
      modules: 'the modules, space-separated (lmod), the env (conda) or the venv path',
    },
  },
  'get /api/v1/builds': { from: 'ListKernelQuery' },
  'get /api/v1/tests': { from: 'ListKernelQuery' },
  'get /api/v1/audit': { from: 'AuditQuery' },
  'get /api/v1/packages/{sha}': { from: 'PackageQuery' },
  'get /api/v1/sessions': { from: 'ListSessionsQuery' },
  'get /api/v1/sessions/{id}/results': { from: 'FinishedCallsQuery' },
  'get /api/v1/sessions/{id}/calls': { from: 'CallsQuery' },
  'get /api/v1/objects/{app}/{session}/{object}': { from: 'WaitQuery' },
  'put /api/v1/objects/{app}/{session}': { from: 'PutObjectQuery' },
  'get /api/v1/executor/objects/{app}/{session}/{object}': { from: 'WaitQuery' },
};
