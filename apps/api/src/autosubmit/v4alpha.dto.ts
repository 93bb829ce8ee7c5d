import { IsBoolean, IsObject, IsOptional, IsString } from 'class-validator';

/** Seed 000's runner selection: which runner and module loader, and the modules to load. */
export class RunnerSelectionDto {
  @IsString()
  runner: string;

  @IsString()
  module_loader: string;

  /** A string, a list of strings or null (checked where the selection is resolved). */
  @IsOptional()
  modules?: unknown;

  @IsOptional()
  @IsObject()
  runner_extra_params?: Record<string, unknown>;
}

export class AlphaStopDto {
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class AlphaSetJobStatusDto extends RunnerSelectionDto {
  @IsOptional()
  @IsObject()
  command_params?: Record<string, unknown>;
}

export class AlphaCreateJobListDto extends RunnerSelectionDto {
  @IsOptional()
  @IsBoolean()
  check_wrapper?: boolean;

  @IsOptional()
  @IsBoolean()
  update_version?: boolean;

  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class AlphaCreateExperimentDto extends RunnerSelectionDto {
  @IsOptional()
  @IsObject()
  command_params?: Record<string, unknown>;
}
