import { JSONSchema } from 'class-validator-jsonschema';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { MAX_CODE_BYTES, MAX_TIMEOUT_SECONDS, SCRIPT_LANGUAGES } from '@runyard/scripts';
import type { ScriptLanguage } from '@runyard/scripts';

/** The longest a script run's request waits for it to end: longer, an HTTP proxy on the way would likely cut it. */
export const MAX_SCRIPT_WAIT_SECONDS = 300;

@JSONSchema({
  example: {
    language: 'python',
    code: 'import json, os\nx = json.loads(os.environ["INPUT_JSON"])\nprint("__SCRIPTRETURN__" + json.dumps({"sum": x["a"] + x["b"]}))',
    input: { a: 1, b: 2 },
    timeout: 60,
    tags: ['gpu'],
  } satisfies Partial<RunScriptDto>,
})
export class RunScriptDto {
  @IsIn(SCRIPT_LANGUAGES, { message: `language must be one of ${SCRIPT_LANGUAGES.join(', ')}` })
  language: ScriptLanguage;

  @IsString()
  @MaxLength(MAX_CODE_BYTES)
  code: string;

  /** Reaches the script as JSON in INPUT_JSON and AUTOMN_INPUT_JSON only. */
  @IsOptional()
  @IsObject()
  input?: Record<string, unknown>;

  /** Seconds of wall-clock time, then it is stopped. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TIMEOUT_SECONDS)
  timeout?: number;

  /** Runs on this agent. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'agent must be an agent id' })
  agent?: string;

  /** Runs on an agent whose tags include all of these. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, { each: true, message: 'tags must be words of letters, digits, . _ : -' })
  tags?: string[];

  /** A profile to run it with (its runner, loader and modules); unset: an agent when `agent` or `tags` is given, else the worker's machine. */
  @IsOptional()
  @IsString()
  profile_name?: string;

  /**
   * Seconds the request waits for the run to end (as Automn's `/s/<endpoint>` answers with the return value): ended,
   * the answer is 200 with the run and its result; not yet, 202 with the run as it stands.
   */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SCRIPT_WAIT_SECONDS)
  wait?: number;

  /** Seconds it may wait for an agent before it fails (default: the profile's QUEUE_TIMEOUT, else no limit). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TIMEOUT_SECONDS)
  queue_timeout?: number;
}
