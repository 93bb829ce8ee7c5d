import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { AuditEvent, ROLES } from '@runyard/persistence';
import type { ApiToken, Role } from '@runyard/persistence';
import { RequireRole } from './auth.decorators';
import { actorOf } from './auth.guard';
import { TokensService } from './tokens.service';

export class CreateTokenDto {
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/, { message: 'name must be 1-128 letters, digits, . _ @ -' })
  name: string;

  @IsIn(ROLES)
  role: Role;
}

export class AuditQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

const present = (t: ApiToken) => ({
  id: t.id,
  name: t.name,
  role: t.role,
  created_at: t.createdAt,
  created_by: t.createdBy,
  last_used_at: t.lastUsedAt,
  revoked_at: t.revokedAt,
});

/** Token management and the audit trail: admins only. */
@Controller('api/v1')
@RequireRole('admin')
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly db: DataSource,
  ) {}

  /** The token is in this answer and nowhere else, ever. */
  @Post('tokens')
  @HttpCode(201)
  async create(@Body() body: CreateTokenDto, @Req() req: Request) {
    const { token, record } = await this.tokens.create(body.name, body.role, actorOf(req)?.name ?? 'anonymous');
    return { ...present(record), token };
  }

  @Get('tokens')
  async list() {
    return (await this.tokens.list()).map(present);
  }

  @Delete('tokens/:id')
  @HttpCode(204)
  async revoke(@Param('id') id: string): Promise<void> {
    await this.tokens.revoke(id);
  }

  @Get('audit')
  async audit(@Query() q: AuditQuery) {
    return this.db.getRepository(AuditEvent).find({ order: { id: 'DESC' }, take: q.limit ?? 100 });
  }
}
