import { JSONSchema } from 'class-validator-jsonschema';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { OVERLAP_POLICIES, Schedule } from '@runyard/persistence';
import type { OverlapPolicy } from '@runyard/persistence';
import { SCHEDULE_NAME } from '@runyard/schedules';
import { ProfileDto } from '../autosubmit/v4.dto';
import { FitsColumn } from '../common/column-rules';

/** A cron schedule of one experiment's runs; the profile and its parameters as a run request gives them. */
@JSONSchema({
  example: {
    name: 'nightly-a001',
    cron: '0 6 * * *',
    timezone: 'Europe/Madrid',
    expid: 'a001',
    profile_name: 'LOCAL_CONDA',
    overlap: 'skip',
  } satisfies Partial<CreateScheduleDto>,
})
export class CreateScheduleDto extends ProfileDto {
  @IsString()
  @Matches(SCHEDULE_NAME, { message: 'name must be 1-64 letters, digits, . _ - (starting with a letter or digit)' })
  name: string;

  /** 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or an alias such as @daily. */
  @IsString()
  @FitsColumn(Schedule, 'cron')
  cron: string;

  /** An IANA time zone (default UTC): the cron's hours are its wall-clock hours. */
  @IsOptional()
  @IsString()
  @FitsColumn(Schedule, 'timezone')
  timezone?: string;

  @IsString()
  @FitsColumn(Schedule, 'expid')
  expid: string;

  /** What a fire does while the experiment still runs: skip it (recorded), or queue it until the run ends. Default skip. */
  @IsOptional()
  @IsIn(OVERLAP_POLICIES)
  overlap?: OverlapPolicy;
}
