import { Module } from '@nestjs/common';
import { SessionsModule } from '@runyard/sessions';
import { ApplicationsController } from './applications.controller';
import { ExecutorController } from './executor.controller';
import { ExecutorGuard } from './executor.guard';
import { ObjectsController } from './objects.controller';
import { PackagesController } from './packages.controller';
import { SessionsController } from './sessions.controller';

/** The Runner SDK's routes: the clients' (packages, applications, sessions, objects) and the executors'. */
@Module({
  imports: [SessionsModule],
  controllers: [PackagesController, ApplicationsController, SessionsController, ObjectsController, ExecutorController],
  providers: [ExecutorGuard],
})
export class SessionsApiModule {}
