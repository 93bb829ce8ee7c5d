import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Max, Min } from 'class-validator';
import { RUN_KINDS, RUN_STATUSES } from '@runyard/persistence';
import type { RunKind, RunStatus } from '@runyard/persistence';

export class ListRunsQuery {
  @IsOptional()
  @IsString()
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
  before?: number;
}

export class StopRunDto {
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class SubmitRunDto {
  @IsString()
  expid: string;

  @IsString()
  profile_name: string;

  @IsOptional()
  @IsObject()
  profile_params?: Record<string, unknown>;
}
