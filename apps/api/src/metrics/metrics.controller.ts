import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Environment } from '@runyard/config';
import { bearerToken, Public, TokensService } from '@runyard/auth';
import { UnauthorizedError } from '@runyard/runs';
import { MetricsService } from './metrics.service';

/** Prometheus' scrape endpoint: public with METRICS_PUBLIC=true, else any valid token (viewer and up). */
@ApiTags('Operations')
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly tokens: TokensService,
    private readonly env: Environment,
  ) {}

  /** The exposition format's type only on the metrics themselves: a refusal is the JSON error body. */
  @ApiOperation({ summary: 'Prometheus metrics' })
  @ApiResponse({
    status: 200,
    description: 'Prometheus exposition format',
    content: {
      'text/plain': {
        schema: { type: 'string' },
        example:
          '# HELP runyard_runs_total Runs by final status\n# TYPE runyard_runs_total counter\nrunyard_runs_total{status="COMPLETED"} 25\n',
      },
    },
  })
  @ApiResponse({ status: 401, description: 'no API token, or not a valid one (unless METRICS_PUBLIC=true)' })
  @ApiResponse({ status: 503, description: 'the database is unavailable (the queue’s figures are left out instead)' })
  @Get()
  async scrape(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    if (!this.env.METRICS_PUBLIC && this.env.AUTH_MODE !== 'none') {
      const token = bearerToken(req.headers.authorization);
      if (!token || !(await this.tokens.authenticate(token)))
        throw new UnauthorizedError('/metrics needs an API token (or METRICS_PUBLIC=true)');
    }
    const text = await this.metrics.text();
    res.type('text/plain; version=0.0.4; charset=utf-8');
    return text;
  }
}
