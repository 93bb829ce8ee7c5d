import { Controller, Get, Header, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Environment } from '@runyard/config';
import { bearerToken, Public, TokensService } from '@runyard/auth';
import { UnauthorizedError } from '@runyard/runs';
import { MetricsService } from './metrics.service';

/** Prometheus' scrape endpoint: public with METRICS_PUBLIC=true, else any valid token (viewer and up). */
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly tokens: TokensService,
    private readonly env: Environment,
  ) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(@Req() req: Request): Promise<string> {
    if (!this.env.METRICS_PUBLIC && this.env.AUTH_MODE !== 'none') {
      const token = bearerToken(req.headers.authorization);
      if (!token || !(await this.tokens.authenticate(token)))
        throw new UnauthorizedError('/metrics needs an API token (or METRICS_PUBLIC=true)');
    }
    return this.metrics.text();
  }
}
