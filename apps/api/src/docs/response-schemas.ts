import { RUN_STATUSES } from '@runyard/persistence';

/** JSON schemas of what the routes answer (the request schemas come from the DTOs' validation rules). */
type Schema = Record<string, unknown>;

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
const TEXT = { content: 'text/plain' };

/** Per route: the success status and schema (or a content type for non-JSON answers). */
export const RESPONSES: Record<string, { status: number; schema?: Schema; content?: string; description: string }> = {
  'post /api/v1/runs': { status: 202, schema: RUN, description: 'the accepted run (not waiting for it to start)' },
  'get /api/v1/runs': {
    status: 200,
    schema: obj({ runs: arr(RUN), next_before: nullable(int) }),
    description: 'newest first; pass next_before as before',
  },
  'get /api/v1/runs/{id}': { status: 200, schema: RUN, description: 'the run' },
  'get /api/v1/runs/{id}/logs': {
    status: 200,
    ...TEXT,
    description:
      'stdout and stderr in arrival order; with follow=true NDJSON frames {"type":"log"|"result",…} (or SSE with Accept: text/event-stream)',
  },
  'post /api/v1/runs/{id}/stop': {
    status: 200,
    schema: RUN,
    description: 'the run once ended (or still STOPPING after the grace periods)',
  },
  'get /v4/runners/configuration/ssh-public-keys': { status: 200, schema: arr(str), description: 'SSH_PUBLIC_KEYS' },
  'get /v4/runners/configuration/profiles': {
    status: 200,
    schema: { type: 'object', additionalProperties: PROFILE },
    description: 'profiles, without key locations',
  },
  'get /v4/runners/configuration/endpoints': {
    status: 200,
    schema: { type: 'object', additionalProperties: obj({ ENABLED: { type: 'boolean' } }) },
    description: 'endpoint toggles',
  },
  'post /v4/runners/command/run-experiment': {
    status: 200,
    schema: MESSAGE,
    description: 'started (answers once the process has its pid)',
  },
  'post /v4/runners/command/get-runner-run-status': { status: 200, schema: RUNNER_STATUS, description: 'the experiment’s latest run' },
  'post /v4/runners/command/stop-experiment': {
    status: 200,
    schema: obj({ message: str, run_id: int, detailed_status: RUN_STATUS }),
    description: 'stopped',
  },
  'post /v4/runners/command/set-job-status': { status: 200, schema: MESSAGE, description: 'autosubmit setstatus succeeded' },
  'post /v4/runners/command/create-experiment': {
    status: 200,
    schema: obj({ expid: nullable(str), message: str, run_id: int }),
    description: 'the new expid',
  },
  'post /v4/runners/command/update-experiment-description': {
    status: 200,
    schema: MESSAGE,
    description: 'autosubmit updatedescrip succeeded',
  },
  'get /v4alpha/runner-detail': {
    status: 200,
    schema: obj({ runner: str, module_loader: str, modules: arr(str), version: nullable(str) }),
    description: 'the Autosubmit version through that runner and loader',
  },
  'post /v4alpha/experiments/{expid}/run-experiment': {
    status: 200,
    schema: obj({ expid: str, runner: str, module_loader: str, modules: nullable(str), runner_id: int, pid: nullable(int) }),
    description: 'started',
  },
  'get /v4alpha/experiments/{expid}/get-runner-status': { status: 200, schema: RUNNER_STATUS, description: 'the experiment’s latest run' },
  'post /v4alpha/experiments/{expid}/stop-experiment': {
    status: 200,
    schema: obj({ message: str, runner_id: int, detailed_status: RUN_STATUS }),
    description: 'stopped',
  },
  'post /v4alpha/experiments/{expid}/set-job-status': { status: 200, schema: ALPHA_MESSAGE, description: 'done' },
  'post /v4alpha/experiments/{expid}/create-job-list': { status: 200, schema: ALPHA_MESSAGE, description: 'done' },
  'post /v4alpha/runner-create-experiment': {
    status: 200,
    schema: obj({ expid: nullable(str), message: str, runner_id: int }),
    description: 'the new expid',
  },
  'post /api/v1/builds/run': { status: 202, schema: BUILD, description: 'scheduled' },
  'post /api/v1/tests/run': { status: 202, schema: TEST, description: 'scheduled' },
  'post /api/v1/boot-test/run': { status: 202, schema: TEST, description: 'scheduled' },
  'get /api/v1/builds': { status: 200, schema: arr(BUILD), description: 'newest first' },
  'get /api/v1/builds/{id}': { status: 200, schema: BUILD, description: 'the build' },
  'get /api/v1/tests': { status: 200, schema: arr(TEST), description: 'newest first' },
  'get /api/v1/tests/{id}': { status: 200, schema: TEST, description: 'the test with its results' },
  'post /api/v1/sync/results': { status: 202, schema: obj({ queued: { type: 'boolean' } }), description: 'KCIDB submission queued' },
  'post /api/v1/sync/builds': { status: 202, schema: obj({ queued: { type: 'boolean' } }), description: 'KCIDB submission queued' },
  'post /api/v1/tuxsuite/callback/{kind}': {
    status: 204,
    description: 'stored, or a repeat of a stored callback (signed with x-tux-payload-signature)',
  },
  'post /api/v1/tokens': {
    status: 201,
    schema: { ...TOKEN, properties: { ...(TOKEN.properties as object), token: str } },
    description: 'the token, shown this once',
  },
  'get /api/v1/tokens': { status: 200, schema: arr(TOKEN), description: 'tokens (never their secrets)' },
  'delete /api/v1/tokens/{id}': { status: 204, description: 'revoked' },
  'get /api/v1/audit': {
    status: 200,
    schema: arr(obj({ id: str, at: str, actor: str, method: str, path: str, status: int })),
    description: 'newest first',
  },
  'get /health': { status: 200, schema: obj({ status: str }), description: 'alive' },
  'get /health/ready': {
    status: 200,
    schema: obj({ status: str, info: { type: 'object' }, details: { type: 'object' } }),
    description: 'database and queue answer',
  },
  'get /metrics': { status: 200, content: 'text/plain', description: 'Prometheus exposition format' },
};
