import type { TuxSuiteEmulatorOptions } from '@runyard/tuxsuite';

const DEFAULT_PORT = 8081;
const TRUE = /^(1|true|yes|on)$/i;

/**
 * TUXSUITE_EMULATOR_* variables → emulator options. Unset variables keep the emulator's defaults.
 * TEST_RESULTS is `name=result,…` (`ltp-smoke=fail,kselftest=missing`; `missing` leaves the test out of results.json).
 */
export function emulatorOptionsFromEnv(env: NodeJS.ProcessEnv): TuxSuiteEmulatorOptions {
  const v = (name: string): string | undefined => env[`TUXSUITE_EMULATOR_${name}`]?.trim() || undefined;
  const opts: TuxSuiteEmulatorOptions = { port: int(v('PORT'), 'PORT') ?? DEFAULT_PORT, host: v('HOST') ?? '127.0.0.1' };
  if (v('TOKEN')) opts.token = v('TOKEN');
  if (v('GROUP')) opts.group = v('GROUP');
  if (v('PROJECT')) opts.project = v('PROJECT');
  if (v('PUBLIC_URL')) opts.publicUrl = v('PUBLIC_URL');
  const delay = int(v('CALLBACK_DELAY_MS'), 'CALLBACK_DELAY_MS');
  if (delay !== undefined) opts.callbackDelayMs = delay;
  const failNext = int(v('FAIL_NEXT_SUBMISSIONS'), 'FAIL_NEXT_SUBMISSIONS');
  if (failNext !== undefined) opts.failNextSubmissions = failNext;
  if (v('DUPLICATE_CALLBACKS')) opts.duplicateCallbacks = TRUE.test(v('DUPLICATE_CALLBACKS')!);
  if (v('LEGACY_FORMAT')) opts.legacyFormat = TRUE.test(v('LEGACY_FORMAT')!);
  if (v('BAD_SIGNATURE')) opts.badSignature = TRUE.test(v('BAD_SIGNATURE')!);
  if (v('ESCAPE_QUIRK')) opts.escapeQuirk = TRUE.test(v('ESCAPE_QUIRK')!);
  const buildResult = v('BUILD_RESULT');
  if (buildResult !== undefined) {
    if (buildResult !== 'pass' && buildResult !== 'fail') throw new Error('TUXSUITE_EMULATOR_BUILD_RESULT must be pass or fail');
    opts.buildResult = buildResult;
  }
  const tests = v('TEST_RESULTS');
  if (tests) opts.testResults = testResults(tests);
  return opts;
}

function int(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`TUXSUITE_EMULATOR_${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

const RESULTS = new Set(['pass', 'fail', 'error', 'skip', 'unknown', 'missing']);

function testResults(spec: string): NonNullable<TuxSuiteEmulatorOptions['testResults']> {
  const out: NonNullable<TuxSuiteEmulatorOptions['testResults']> = {};
  for (const pair of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, result] = pair.split('=').map((s) => s.trim());
    if (!name || !result || !RESULTS.has(result)) {
      throw new Error(`TUXSUITE_EMULATOR_TEST_RESULTS: "${pair}" is not name=${[...RESULTS].join('|')}`);
    }
    out[name] = result === 'missing' ? null : (result as 'pass' | 'fail' | 'error' | 'skip' | 'unknown');
  }
  return out;
}
