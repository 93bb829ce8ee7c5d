import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { RunyardConfigModule } from '@runyard/config';
import { DatabaseModule } from '@runyard/persistence';
import { QueueModule } from '@runyard/queue';
import { KernelCiModule } from '@runyard/kernelci';
import { AuditMiddleware } from '@runyard/auth';
import { AuthModule } from '@runyard/auth/http';
import { AgentsApiModule } from '@runyard/agents/http';
import { TerminusModule } from '@nestjs/terminus';
import { RunyardLoggingModule } from '@runyard/logging';
import { RunnerCatalogueModule } from '@runyard/runners';
import { RunsModule } from '@runyard/runs';
import { SCHEDULE_PROVIDERS } from '@runyard/schedules';
import { AutosubmitRunnersService } from './autosubmit/autosubmit-runners.service';
import { V4RunnersController } from './autosubmit/v4-runners.controller';
import { V4AlphaController } from './autosubmit/v4alpha.controller';
import { ErrorBodyFilter } from './common/error-body.filter';
import { QueueDashboardMiddleware } from './dashboard/queue-dashboard';
import { ApiDocsMiddleware, PublishedDocs } from './docs/api-docs.middleware';
import { RequestInputMiddleware } from './pipeline/request-input.middleware';
import { WebUiMiddleware } from './web/web-ui.middleware';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { RunsController } from './native/runs.controller';
import { KernelController } from './kernelci/kernel.controller';
import { TuxSuiteCallbacksController } from './kernelci/tuxsuite-callbacks.controller';
import { ScriptsController } from './scripts/scripts.controller';
import { SchedulesController } from './schedules/schedules.controller';
import { SessionsApiModule } from './sessions/sessions-api.module';

/** HTTP only: records and enqueues, never executes a command itself. */
@Module({
  imports: [
    RunyardLoggingModule,
    RunyardConfigModule,
    RunnerCatalogueModule,
    DatabaseModule,
    QueueModule,
    KernelCiModule,
    AuthModule,
    TerminusModule,
    RunsModule,
    SessionsApiModule,
    AgentsApiModule,
  ],
  controllers: [
    RunsController,
    SchedulesController,
    V4RunnersController,
    V4AlphaController,
    KernelController,
    TuxSuiteCallbacksController,
    ScriptsController,
    HealthController,
    MetricsController,
  ],
  providers: [
    MetricsService,
    AutosubmitRunnersService,
    ...SCHEDULE_PROVIDERS,
    PublishedDocs,
    { provide: APP_FILTER, useClass: ErrorBodyFilter },
  ],
})
export class ApiModule implements NestModule {
  /**
   * One pipeline for every request, the pages outside Nest's routes included: the request id and
   * log line (the logging module, global, comes first), the audit row, the body read and its input
   * checked, then the dashboard, the docs and the web UI, then Nest's routes with their guard and validation.
   */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AuditMiddleware, RequestInputMiddleware, QueueDashboardMiddleware, ApiDocsMiddleware, WebUiMiddleware).forRoutes('/');
  }
}
