import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '@runyard/auth';
import { AutomnHostService } from '../automn-host.service';
import { AutomnErrorBody } from './automn-error.view';

/**
 * Automn's runner-host registration (and heartbeat), authenticated by the runner's secret in the body; errors in
 * Automn's shape (the global error filter), the request pipeline's included.
 */
@ApiTags('Agent protocol')
@ApiExtraModels(AutomnErrorBody)
@Controller('api/settings/runner-hosts')
@Public()
export class AutomnHostController {
  constructor(private readonly host: AutomnHostService) {}

  @ApiOperation({ summary: 'Automn’s runner registration and heartbeat (the secret in the body)' })
  @ApiResponse({
    status: 200,
    description: 'as an Automn host answers',
    schema: {
      type: 'object',
      properties: {
        runnerHost: { type: 'object' },
        registered: { type: 'boolean' },
        hostVersion: { type: 'string' },
        minimumRunnerVersion: { type: 'string' },
      },
      example: { runnerHost: { id: 'automn-1' }, registered: true, hostVersion: '1.4.0', minimumRunnerVersion: '1.0.0' },
    },
  })
  @ApiResponse({
    status: 400,
    type: AutomnErrorBody,
    description: 'no id, secret or endpoint, an endpoint refused, or bad input at the door (malformed JSON, a bad path)',
    example: { error: 'Runner secret is required' },
  })
  @ApiResponse({
    status: 401,
    type: AutomnErrorBody,
    description: 'not the runner’s secret',
    example: { error: 'Invalid runner secret', code: 'invalid_secret' },
  })
  @ApiResponse({
    status: 403,
    type: AutomnErrorBody,
    description: 'the agent is disabled',
    example: { error: 'Runner host is disabled', code: 'runner_disabled' },
  })
  @ApiResponse({ status: 404, type: AutomnErrorBody, description: 'no such agent', example: { error: 'Runner host not found' } })
  @Post(':runnerId/register')
  @HttpCode(200)
  register(@Param('runnerId') id: string, @Body() body: unknown, @Req() req: Request) {
    return this.host.register(id, body, req.ip);
  }
}
