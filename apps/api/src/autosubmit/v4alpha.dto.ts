import { IsBoolean, IsObject, IsOptional, IsString } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';

/** Seed 000's runner selection: which runner and module loader, and the modules to load. */
export class RunnerSelectionDto {
  @IsString()
  @JSONSchema({ description: 'local or ssh' })
  runner: string;

  @IsString()
  @JSONSchema({ description: 'conda, venv, lmod or no_module' })
  module_loader: string;

  /** A string, a list of strings or null (checked where the selection is resolved). */
  @IsOptional()
  @JSONSchema({ description: 'the modules, space-separated (lmod), the env (conda) or the venv path' })
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
