import { Module } from '@nestjs/common';
import { ProfilesService } from './profiles.service';
import { RunsRepository } from './runs.repository';
import { RunsService } from './runs.service';
import { RunWakeups } from './run-wakeups';

/** The use cases every endpoint shares, once per process: the API's controllers and the Runner SDK's sessions both start runs. */
@Module({
  providers: [RunsRepository, RunsService, ProfilesService, RunWakeups],
  exports: [RunsRepository, RunsService, ProfilesService, RunWakeups],
})
export class RunsModule {}
