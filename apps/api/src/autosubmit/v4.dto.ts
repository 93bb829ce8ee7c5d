import { IsBoolean, IsObject, IsOptional, IsString } from 'class-validator';

/** Request bodies of the Autosubmit API's /v4/runners/command endpoints, under their field names. */
export class ExpidDto {
  @IsString()
  expid: string;
}

export class StopExperimentDto extends ExpidDto {
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class ProfileDto {
  @IsString()
  profile_name: string;

  @IsOptional()
  @IsObject()
  profile_params?: Record<string, unknown>;
}

export class RunExperimentDto extends ProfileDto {
  @IsString()
  expid: string;

  @IsOptional()
  @IsObject()
  command_params?: Record<string, unknown>;
}

export class SetJobStatusDto extends ProfileDto {
  @IsString()
  expid: string;

  @IsObject()
  command_params: Record<string, unknown>;
}

export class CreateExperimentDto extends ProfileDto {
  @IsObject()
  command_params: Record<string, unknown>;
}

export class UpdateDescriptionDto extends ProfileDto {
  @IsString()
  expid: string;

  @IsString()
  description: string;
}
