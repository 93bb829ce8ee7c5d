import { call, eventually } from './support/http';
import { RunyardUnderTest, startRunyard } from './support/runyard';

const SECRET = 'result-secret-4f9a2c';

const CONFIG = `
RUNNER_CONFIGURATION:
  PROFILES:
    WITH_SECRET:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SECRETS: [RESULT_SECRET]
      SCRIPT_RUNTIMES: [python]
RUNNERS:
  LOCAL:
    ENABLED: True
    MODULE_LOADERS:
      NO_MODULE: {ENABLED: True}
`;

/**
 * A script that hands its profile's secret back every way a run returns something but its output:
 * the result file, and JSON-escaped (so the output's masking cannot see it) in a log and a notification.
 */
const LEAKING_SCRIPT = `import json, os
secret = os.environ["RESULT_SECRET"]
escaped = "\\\\u%04x" % ord(secret[0]) + secret[1:]
print('__SCRIPTLOG__{"message": "log ' + escaped + '"}')
print('__SCRIPTNOTIFY__{"message": "note ' + escaped + '", "audience": "' + escaped + '"}')
json.dump({"stolen": secret, secret: [secret]}, open(os.environ["RUNYARD_RESULT_FILE"], "w"))
`;

/** What a run returns besides its output is masked as its output is. */
describe("masking of a run's result", () => {
  let rt: RunyardUnderTest;

  beforeAll(async () => {
    rt = await startRunyard({ config: CONFIG, env: { RESULT_SECRET: SECRET } });
  });
  afterAll(() => rt?.close());

  it('stores and shows a profile secret the script returns (result file, escaped logs and notifications) as [MASKED]', async () => {
    const submitted = await call(rt.url, 'POST', '/api/v1/scripts/run', {
      language: 'python',
      code: LEAKING_SCRIPT,
      profile_name: 'WITH_SECRET',
    });
    expect(submitted.status).toBe(202);
    const run = await eventually(async () => {
      const r = await call(rt.url, 'GET', `/api/v1/runs/${submitted.body.id}`);
      return r.body.status === 'COMPLETED' ? r : null;
    }, 30_000);
    expect(run.body.result).toEqual({
      return_data: { stolen: '[MASKED]', '[MASKED]': ['[MASKED]'] },
      logs: [expect.objectContaining({ message: 'log [MASKED]' })],
      notifications: [expect.objectContaining({ message: 'note [MASKED]', audience: '[MASKED]' })],
    });
    expect(run.text).not.toContain(SECRET);
  });
});
