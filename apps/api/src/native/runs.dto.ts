import { JSONSchema } from 'class-validator-jsonschema';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Max, Min } from 'class-validator';
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
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  /** Keyset pagination: pass the `next_before` of the previous page. */
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
