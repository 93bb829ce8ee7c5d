import { JSONSchema } from 'class-validator-jsonschema';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { AuditEvent, ROLES } from '@runyard/persistence';
import type { ApiToken, Role } from '@runyard/persistence';
import { RequireRole } from './auth.decorators';
import { actorOf } from './auth.guard';
import { TokensService } from './tokens.service';

@JSONSchema({ example: { name: 'ci', role: 'operator' } satisfies Partial<CreateTokenDto> })
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

const TIME = { type: String, format: 'date-time' } as const;

/** An API token as the API shows it: never its secret. */
export class TokenView {
  @ApiProperty({ example: 'k3v9q0c1m2x4' })
  id: string;
  @ApiProperty({ example: 'ci' })
  name: string;
  @ApiProperty({ enum: ROLES, example: 'operator' })
  role: Role;
  @ApiProperty({ ...TIME, example: '2026-12-07T09:00:00.000Z' })
  created_at: Date;
  @ApiProperty({ example: 'bootstrap' })
  created_by: string;
  @ApiProperty({ ...TIME, nullable: true, example: null })
  last_used_at: Date | null;
  @ApiProperty({ ...TIME, nullable: true, example: null })
  revoked_at: Date | null;
}

export class NewTokenView extends TokenView {
  @ApiProperty({ example: 'ry_k3v9q0c1m2x4_aIPvPExOWewk61fAPOKSbeREoAgIGpSPzN-9Y-UZA1E', description: 'shown in this answer only' })
  token: string;
}

const present = (t: ApiToken): TokenView => ({
  id: t.id,
  name: t.name,
  role: t.role,
  created_at: t.createdAt,
  created_by: t.createdBy,
  last_used_at: t.lastUsedAt,
  revoked_at: t.revokedAt,
});

/** Token management and the audit trail: admins only. */
@ApiTags('Tokens')
@Controller('api/v1')
@RequireRole('admin')
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly db: DataSource,
  ) {}

  /** The token is in this answer and nowhere else, ever. */
  @ApiOperation({ summary: 'Create an API token' })
  @ApiResponse({ status: 201, type: NewTokenView, description: 'the token, shown this once' })
  @Post('tokens')
  @HttpCode(201)
  async create(@Body() body: CreateTokenDto, @Req() req: Request) {
    const { token, record } = await this.tokens.create(body.name, body.role, actorOf(req)?.name ?? 'anonymous');
    return { ...present(record), token };
  }

  @ApiOperation({ summary: 'List API tokens' })
  @ApiResponse({ status: 200, type: [TokenView], description: 'never their secrets' })
  @Get('tokens')
  async list() {
    return (await this.tokens.list()).map(present);
  }

  @ApiOperation({ summary: 'Revoke an API token' })
  @ApiResponse({ status: 204, description: 'revoked' })
  @ApiResponse({ status: 404, description: 'no such token' })
  @Delete('tokens/:id')
  @HttpCode(204)
  async revoke(@Param('id') id: string): Promise<void> {
    await this.tokens.revoke(id);
  }

  @ApiOperation({ summary: 'Read the audit trail' })
  @ApiResponse({
    status: 200,
    description: 'every write request (the dashboard’s included), newest first',
    schema: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          at: { type: 'string', format: 'date-time' },
          actor: { type: 'string' },
          method: { type: 'string' },
          path: { type: 'string' },
          status: { type: 'integer' },
          remoteAddress: { type: 'string', nullable: true },
        },
      },
      example: [
        {
          id: '981',
          at: '2026-12-07T09:31:00.000Z',
          actor: 'alice',
          method: 'POST',
          path: '/api/v1/runs',
          status: 202,
          remoteAddress: '10.0.0.7',
        },
      ],
    },
  })
  @Get('audit')
  async audit(@Query() q: AuditQuery) {
    return this.db.getRepository(AuditEvent).find({ order: { id: 'DESC' }, take: q.limit ?? 100 });
  }
}
