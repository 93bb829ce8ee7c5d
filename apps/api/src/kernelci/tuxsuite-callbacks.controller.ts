import { Controller, Headers, HttpCode, Param, ParseEnumPipe, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { BadInputError } from '@runyard/runs';
import { TuxSuiteCallbacksService } from '@runyard/kernelci';
import { Public } from '@runyard/auth';

/**
 * TuxSuite's callbacks. The body arrives unparsed (bootstrap gives this path a raw body parser): the
 * signature covers the exact bytes, and nothing is parsed before it verifies.
 */
/** Public: TuxSuite has no Runyard token; its signature is the authentication. */
@ApiTags('TuxSuite callbacks')
@Controller('api/v1/tuxsuite/callback')
@Public()
export class TuxSuiteCallbacksController {
  constructor(private readonly callbacks: TuxSuiteCallbacksService) {}

  @ApiOperation({ summary: 'Receive a TuxSuite callback' })
  @ApiResponse({ status: 204, description: 'stored, or a repeat of a stored callback' })
  @ApiResponse({ status: 401, description: 'no x-tux-payload-signature, or not TuxSuite’s' })
  @ApiResponse({ status: 404, description: 'a kind other than build, test or boot' })
  @ApiResponse({ status: 413, description: 'the body is larger than 10 MiB' })
  @ApiResponse({ status: 503, description: 'the database is unavailable (TuxSuite retries)' })
  @Post(':kind')
  @HttpCode(204)
  async receive(
    @Param('kind', new ParseEnumPipe(['build', 'test', 'boot'], { errorHttpStatusCode: 404 })) kind: 'build' | 'test' | 'boot',
    @Headers('x-tux-payload-signature') signature: string | undefined,
    @Req() req: Request,
  ): Promise<void> {
    if (!Buffer.isBuffer(req.body)) throw new BadInputError('the callback has no body');
    await this.callbacks.receive(kind, req.body, signature);
  }
}
