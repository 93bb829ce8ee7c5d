import { IsIn, IsObject, IsOptional, IsString, Matches } from 'class-validator';
import { OVERLAP_POLICIES, ProfileRecord, Schedule } from '@runyard/persistence';
import type { OverlapPolicy } from '@runyard/persistence';
import { SCHEDULE_NAME } from '@runyard/schedules';
import { FitsColumn } from '../common/column-rules';

export class CreateScheduleDto {
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

  @IsString()
  @FitsColumn(ProfileRecord, 'name')
  profile_name: string;

  @IsOptional()
  @IsObject()
  profile_params?: Record<string, unknown>;

  /** What a fire does while the experiment still runs: skip it (recorded), or queue it until the run ends. Default skip. */
  @IsOptional()
  @IsIn(OVERLAP_POLICIES)
  overlap?: OverlapPolicy;
}
