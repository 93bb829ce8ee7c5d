import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Public } from '@runyard/auth';
import { AutomnHostService } from '../automn-host.service';

/** Automn's runner-host registration (and heartbeat), authenticated by the runner's secret in the body; errors in Automn's shape (the global error filter). */
@Controller('api/settings/runner-hosts')
@Public()
export class AutomnHostController {
  constructor(private readonly host: AutomnHostService) {}

  @Post(':runnerId/register')
  @HttpCode(200)
  register(@Param('runnerId') id: string, @Body() body: unknown, @Req() req: Request) {
    return this.host.register(id, body, req.ip);
  }
}
