import { Module } from '@nestjs/common';
import { RunsModule } from '@runyard/runs';
import { ApplicationsService } from './applications.service';
import { ExecutorService } from './executor.service';
import { ObjectStorage } from './object-storage';
import { ObjectsService } from './objects.service';
import { PackageStorage } from './package-storage';
import { PackagesService } from './packages.service';
import { SdkSignals } from './sdk-signals';
import { SessionReaper } from './session-reaper';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/** The Runner SDK's server side: packages, applications, sessions, calls, objects, the executors' protocol and the reaper. */
@Module({
  imports: [RunsModule],
  providers: [
    SessionsRepository,
    PackageStorage,
    ObjectStorage,
    SdkSignals,
    PackagesService,
    ObjectsService,
    SessionsService,
    ApplicationsService,
    ExecutorService,
    SessionReaper,
  ],
  exports: [PackagesService, ObjectsService, SessionsService, ApplicationsService, ExecutorService, SessionsRepository, SdkSignals],
})
export class SessionsModule {}
