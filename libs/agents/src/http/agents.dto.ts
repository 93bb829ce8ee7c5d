import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBase64,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { MAX_OUTPUT_CHUNK } from '@runyard/agent-protocol';
import { AGENT_ID, AGENT_TAG, MAX_AGENT_CONCURRENCY, MAX_TAGS } from '../agent';

const TAGS_MESSAGE = 'tags must be words of letters, digits, . _ : - (at most 64 characters each)';

/** What an admin may set on an agent, when registering it and later. */
abstract class AgentSettingsDto {
  @IsOptional()
  @IsString()
  @MaxLength(128)
  name?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TAGS)
  @Matches(AGENT_TAG, { each: true, message: TAGS_MESSAGE })
  tags?: string[];

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_AGENT_CONCURRENCY)
  max_concurrency?: number;
}

export class CreateAgentDto extends AgentSettingsDto {
  @Matches(AGENT_ID, { message: 'id must be 1-64 letters, digits, . _ - (starting with a letter or digit)' })
  id: string;
}

export class UpdateAgentDto extends AgentSettingsDto {
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;

  /** No new runs for it; its running ones carry on. */
  @IsOptional()
  @IsBoolean()
  drain?: boolean;

  /** The agent replaces its secret on its next heartbeat, without downtime. */
  @IsOptional()
  @IsBoolean()
  rotate_secret?: boolean;
}

export class AgentReportDto {
  @IsString()
  @MaxLength(64)
  version: string;

  @IsString()
  @MaxLength(64)
  os: string;

  @IsString()
  @MaxLength(64)
  arch: string;

  @IsObject()
  runtimes: Record<string, string>;

  @IsBoolean()
  draining: boolean;

  @IsArray()
  @ArrayMaxSize(4096)
  @IsInt({ each: true })
  running: number[];
}

export class RunningRunDto {
  @IsInt()
  @Min(1)
  run_id: number;

  @IsInt()
  @Min(0)
  signal_seq: number;
}

export class PollDto {
  @IsArray()
  @ArrayMaxSize(4096)
  @ValidateNested({ each: true })
  @Type(() => RunningRunDto)
  running: RunningRunDto[];

  @IsArray()
  @ArrayMaxSize(4096)
  @IsInt({ each: true })
  starting: number[];

  @IsArray()
  @ArrayMaxSize(4096)
  @Matches(/^\d{1,18}$/, { each: true })
  commands: string[];

  @IsInt()
  @Min(0)
  @Max(MAX_AGENT_CONCURRENCY)
  free_slots: number;

  /** Left out by agents that do not number their polls. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  poll_seq?: number;
}

export class CommandResultDto {
  /** Sent as null or left out: no exit code (killed by a signal, vanished). */
  @IsOptional()
  @IsInt()
  exit_code?: number;

  @IsOptional()
  @Matches(/^SIG[A-Z0-9]+$/)
  signal?: string;

  @IsString()
  @MaxLength(256 * 1024)
  output: string;
}

export class StartedDto {
  @IsInt()
  @Min(1)
  pid: number;

  @IsString()
  @MaxLength(1024)
  run_dir: string;
}

export class OutputChunkDto {
  @IsIn(['stdout', 'stderr'])
  stream: 'stdout' | 'stderr';

  @IsInt()
  @Min(0)
  offset: number;

  @IsBase64()
  @MaxLength(Math.ceil((MAX_OUTPUT_CHUNK * 4) / 3) + 4)
  data: string;
}

export class StreamSizesDto {
  @IsInt()
  @Min(0)
  stdout: number;

  @IsInt()
  @Min(0)
  stderr: number;
}

export class FinishDto {
  /** Sent as null or left out: no exit code (killed by a signal, vanished). */
  @IsOptional()
  @IsInt()
  exit_code?: number;

  @IsOptional()
  @Matches(/^SIG[A-Z0-9]+$/)
  signal?: string;

  @IsOptional()
  @IsString()
  @MaxLength(4096)
  error?: string;

  @IsOptional()
  @IsBoolean()
  vanished?: boolean;

  @ValidateNested()
  @Type(() => StreamSizesDto)
  sizes: StreamSizesDto;

  @IsOptional()
  @IsBase64()
  @MaxLength(1_500_000)
  result_file?: string;
}
