import { JSONSchema } from 'class-validator-jsonschema';
import { IsBoolean, IsObject, IsOptional, IsString } from 'class-validator';
import { ProfileRecord, Run } from '@runyard/persistence';
import { FitsColumn } from '../common/column-rules';

/** Request bodies of the Autosubmit API's /v4/runners/command endpoints, under their field names. */
export class ExpidDto {
  @IsString()
  @FitsColumn(Run, 'expid')
  expid: string;
}

export class StopExperimentDto extends ExpidDto {
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class ProfileDto {
  @IsString()
  @FitsColumn(ProfileRecord, 'name')
  profile_name: string;

  @IsOptional()
  @IsObject()
  profile_params?: Record<string, unknown>;
}

@JSONSchema({ example: { expid: 'a001', profile_name: 'LOCAL_CONDA' } satisfies Partial<RunExperimentDto> })
export class RunExperimentDto extends ProfileDto {
  @IsString()
  @FitsColumn(Run, 'expid')
  expid: string;

  @IsOptional()
  @IsObject()
  command_params?: Record<string, unknown>;
}

export class SetJobStatusDto extends ProfileDto {
  @IsString()
  @FitsColumn(Run, 'expid')
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
  @FitsColumn(Run, 'expid')
  expid: string;

  @IsString()
  description: string;
}
