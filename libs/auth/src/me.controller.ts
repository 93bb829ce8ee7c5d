import { Controller, Get, Req } from '@nestjs/common';
import type { Request } from 'express';
import { actorOf } from './auth.guard';

/** Who the request's token is: pages show a viewer no buttons it may not press (the server refuses them anyway). */
@Controller('api/v1/me')
export class MeController {
  @Get()
  me(@Req() req: Request) {
    const actor = actorOf(req);
    return { name: actor?.name ?? 'anonymous', role: actor?.role ?? 'viewer' };
  }
}
