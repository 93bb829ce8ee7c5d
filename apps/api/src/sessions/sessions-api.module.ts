import { Module, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { SdkSignals, SessionsModule } from '@runyard/sessions';
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
export class SessionsApiModule implements OnApplicationBootstrap {
  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly signals: SdkSignals,
  ) {}

  /**
   * Executors and clients long-poll back to back on keep-alive connections, which would keep a
   * closing server from ever becoming idle: once shutting down, every answer closes its connection.
   */
  onApplicationBootstrap(): void {
    const server = this.adapter.httpAdapter?.getHttpServer() as Server | undefined;
    server?.prependListener('request', (_req, res) => {
      if (this.signals.closing) res.shouldKeepAlive = false;
    });
  }
}
