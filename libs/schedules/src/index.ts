import { ScheduleFires } from './schedule-fires.service';
import { ScheduleOwners } from './schedule-owners';
import { ScheduleProcessors } from './schedule-processors';
import { ScheduleQueue } from './schedule-queue';
import { SchedulesRepository } from './schedules.repository';
import { SchedulesService } from './schedules.service';

export * from './schedule-rules';
export * from './schedule-queue';
export * from './schedules.repository';
export * from './schedule-fires.service';
export * from './schedules.service';
export * from './schedule-processors';
export * from './schedule-owners';

/** The schedules' providers, for the module that also provides RunsService (the API's). */
export const SCHEDULE_PROVIDERS = [SchedulesRepository, ScheduleQueue, ScheduleOwners, ScheduleFires, SchedulesService, ScheduleProcessors];
