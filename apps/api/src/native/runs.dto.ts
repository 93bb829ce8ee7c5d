import { JSONSchema } from 'class-validator-jsonschema';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { AGENT_ID } from '@runyard/agents';
import { ProfileRecord, Run, RUN_KINDS, RUN_STATUSES } from '@runyard/persistence';
import { FitsColumn } from '../common/column-rules';
import type { RunKind, RunStatus } from '@runyard/persistence';

export class ListRunsQuery {
  @IsOptional()
  @IsString()
  @FitsColumn(Run, 'expid')
  expid?: string;

  @IsOptional()
  @IsIn(RUN_STATUSES)
  status?: RunStatus;

  @IsOptional()
  @IsIn(RUN_KINDS)
  kind?: RunKind;

  @IsOptional()
  @IsString()
  @FitsColumn(Run, 'profileName')
  profile?: string;

  @JSONSchema({ description: 'runs an agent took (its id)' })
  @IsOptional()
  @Matches(AGENT_ID, { message: 'agent must be an agent id (letters, digits, ".", "_", "-")' })
  agent?: string;

  @JSONSchema({ description: 'runs a token (its name) or a schedule (`schedule <name>`) asked for' })
  @IsOptional()
  @IsString()
  @FitsColumn(Run, 'requestedBy')
  requester?: string;

  @JSONSchema({ description: 'at most this many runs (default 50)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @JSONSchema({ description: 'the next_before of the previous page' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @FitsColumn(Run, 'id')
  before?: number;
}

export class StopRunDto {
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

@JSONSchema({ example: { expid: 'a001', profile_name: 'LOCAL_CONDA' } satisfies Partial<SubmitRunDto> })
export class SubmitRunDto {
  @IsString()
  @FitsColumn(Run, 'expid')
  expid: string;

  @IsString()
  @FitsColumn(ProfileRecord, 'name')
  profile_name: string;

  @IsOptional()
  @IsObject()
  profile_params?: Record<string, unknown>;
}
