import type { ConfigPath, Plain } from './config-reader';
import type { RunLimit } from './runyard-config';

/**
 * A runner's part of the configuration: its RUNNER_TYPE and the settings block it owns in a profile
 * (`SSH:`, `AGENT:`). Each runner declares its own in its file (libs/runners), so the configuration
 * reader, profile_params and the API know every runner without naming any.
 */
export interface RunnerProfileSchema {
  /** RUNNER_TYPE in a profile, RUNNERS.<type> in the v4alpha block. */
  readonly type: string;
  /** The profile key holding the runner's settings, if it has any. */
  readonly block?: string;
  /** Keys of the block the admin may also set under RUNNERS.<type>: defaults for v4alpha requests. */
  readonly toggleKeys?: readonly string[];
  /** Reads the block; with `from: 'request'` only the keys a request may fill are accepted. */
  parseBlock?(raw: Plain, at: ConfigPath, from: 'file' | 'request'): Plain;
  /** Where a run of the profile goes (host, agent …), from the merged block; throws ProfileParamsError when incomplete. */
  target?(block: Plain | undefined, profile: string): unknown;
  /** The block as clients may see it (without where the private keys are). */
  publicBlock?(block: Plain): Plain;
  /** v4alpha's `runner_extra_params` as the block a request fills. */
  fromExtraParams?(extra: Plain): Plain | undefined;
  /** What a run's document shows of its target. */
  describeTarget?(target: unknown): Plain;
  /** Concurrency limits of the target itself (an SSH host's MAX_CONCURRENT_RUNS). */
  limits?(target: unknown): RunLimit[];
}

/** The runners this build knows; provided by @runyard/runners' catalogue. */
export const RUNNER_SCHEMAS = Symbol('RUNNER_SCHEMAS');
