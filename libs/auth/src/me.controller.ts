import { Controller, Get, Req } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ROLES } from '@runyard/persistence';
import type { Role } from '@runyard/persistence';
import { actorOf } from './auth.guard';

export class MeView {
  @ApiProperty({ example: 'alice', description: 'the token’s name (anonymous@<address>, an admin, when the server asks for no token)' })
  name: string;
  @ApiProperty({ enum: ROLES, example: 'operator' })
  role: Role;
}

/** Who the request's token is: pages show a viewer no buttons it may not press (the server refuses them anyway). */
@ApiTags('Tokens')
@Controller('api/v1/me')
export class MeController {
  @ApiOperation({ summary: 'Who this token is' })
  @ApiResponse({ status: 200, type: MeView, description: 'the token’s name and role' })
  @Get()
  me(@Req() req: Request): MeView {
    const actor = actorOf(req);
    return { name: actor?.name ?? 'anonymous', role: actor?.role ?? 'viewer' };
  }
}
