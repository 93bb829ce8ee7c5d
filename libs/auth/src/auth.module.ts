import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { MeController } from './me.controller';
import { TokensController } from './tokens.controller';
import { TokensService } from './tokens.service';

/**
 * Bearer tokens with roles on every route, token management, the audit trail. AuditMiddleware is
 * applied by the app, as one step of its request pipeline (so the pages outside Nest's routes
 * are audited too).
 */
@Module({
  controllers: [TokensController, MeController],
  providers: [TokensService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [TokensService],
})
export class AuthModule {}
