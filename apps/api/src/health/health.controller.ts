import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { Public } from '@runyard/auth';
import { RunQueues } from '@runyard/queue';
import { UnavailableError } from '@runyard/runs';

const CHECK_TIMEOUT_MS = 2000;

@ApiTags('Operations')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: DataSource,
    private readonly queues: RunQueues,
  ) {}

  /** Alive: the process answers. */
  @ApiOperation({ summary: 'Alive' })
  @ApiResponse({
    status: 200,
    description: 'the process answers',
    schema: { type: 'object', properties: { status: { type: 'string' } }, example: { status: 'ok' } },
  })
  @Get()
  alive() {
    return { status: 'ok' };
  }

  /** Ready: 200 only when the database and the queue answer; else 503 with what is down. */
  @ApiOperation({ summary: 'Ready' })
  @ApiResponse({
    status: 200,
    description: 'database and queue answer',
    schema: {
      type: 'object',
      properties: { status: { type: 'string' }, info: { type: 'object' }, details: { type: 'object' } },
      example: {
        status: 'ok',
        info: { database: { status: 'up' }, queue: { status: 'up' } },
        error: {},
        details: { database: { status: 'up' }, queue: { status: 'up' } },
      },
    },
  })
  @ApiResponse({ status: 503, description: 'not ready: what is down, in details' })
  @Get('ready')
  async ready() {
    try {
      return await this.health.check([
        () =>
          this.indicators
            .check('database')
            .attempt(() => this.db.query('SELECT 1'))
            .withTimeout(CHECK_TIMEOUT_MS),
        () =>
          this.indicators
            .check('queue')
            .attempt(() => this.queues.ping())
            .withTimeout(CHECK_TIMEOUT_MS),
      ]);
    } catch (e) {
      const details = (e as { getResponse?: () => { error?: Record<string, unknown> } }).getResponse?.().error ?? {};
      throw new UnavailableError(`not ready: ${Object.keys(details).join(', ') || (e as Error).message} down`, { details });
    }
  }
}
