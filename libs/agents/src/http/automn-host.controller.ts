import { Body, Controller, HttpCode, Param, Post, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { Public } from '@runyard/auth';
import { AutomnHostService } from '../automn-host.service';
import { AutomnErrorFilter } from './automn-error.filter';

/** Automn's runner-host registration (and heartbeat), authenticated by the runner's secret in the body. */
@Controller('api/settings/runner-hosts')
@Public()
@UseFilters(AutomnErrorFilter)
export class AutomnHostController {
  constructor(private readonly host: AutomnHostService) {}

  @Post(':runnerId/register')
  @HttpCode(200)
  register(@Param('runnerId') id: string, @Body() body: unknown, @Req() req: Request) {
    return this.host.register(id, body, req.ip);
  }
}
