export interface TestResult {
  test: string;
  /** Upper-cased TuxSuite/LAVA result (PASS, FAIL, SKIP, …), or MISS when the file has no entry. */
  result: string;
  /** Where this test's own log is, if not in the run's logs.txt. */
  logUrl?: string | null;
}

/** The entry a boot test (an empty test list) reports: TuxSuite always boots first. */
export const BOOT_TEST = 'boot';

/**
 * One result per requested test from `results.json`'s `lava` map. Suite keys may carry a numeric
 * `N_` prefix (`0_ltp-smoke`); a requested test the file does not mention is MISS, never dropped.
 */
export function parseTestResults(resultsJson: unknown, tests: string[]): TestResult[] {
  if (!isRecord(resultsJson)) throw new Error('results.json must be a JSON object');
  if (!('lava' in resultsJson)) throw new Error('results.json has no "lava" results');
  const lava = resultsJson.lava;
  if (!isRecord(lava)) throw new Error('results.json "lava" must be an object');

  const byName = new Map<string, string>();
  for (const [key, entry] of Object.entries(lava)) {
    const name = key.replace(/^\d+_/, '');
    const result = isRecord(entry) ? entry.result : undefined;
    // An unprefixed key wins over a prefixed duplicate; otherwise the first one seen.
    if (typeof result === 'string' && result !== '' && (!byName.has(name) || key === name)) byName.set(name, result.toUpperCase());
  }
  const wanted = tests.length > 0 ? tests : [BOOT_TEST];
  return wanted.map((test) => ({ test, result: byName.get(test) ?? 'MISS' }));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
