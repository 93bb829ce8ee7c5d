import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { NoSuch } from '../docs/refusals';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { Public } from '@runyard/auth';
import { ExecutorService } from '@runyard/sessions';
import { recordId } from '../common/validation';
import { executorOf, ExecutorGuard } from './executor.guard';
import { sendObject, sendPending } from './object-responses';
import { ExchangeDto, FatalDto, SubmitCallsDto, WaitQuery } from './sessions.dto';
import { BriefView, ClaimedCallView, presentBrief, presentClaimed, SubmittedCallsView } from './sessions.presenter';

const bytes = (b64: string | undefined) => (b64 === undefined ? undefined : Buffer.from(b64, 'base64'));

/**
 * The executors' protocol, over HTTP so an executor may run on any host its runner reaches. Not an
 * API token's routes: each executor authenticates with its own credential (ExecutorGuard).
 */
@ApiTags('Runner SDK executors')
@ApiResponse({ status: 410, description: 'the executor was replaced, or its session is gone' })
@Public()
@UseGuards(ExecutorGuard)
@Controller('api/v1/executor')
export class ExecutorController {
  constructor(private readonly executor: ExecutorService) {}

  /** What to serve: the service's object, its methods, the state to resume from, the package. */
  @ApiOperation({ summary: 'What the executor serves' })
  @ApiResponse({ status: 200, type: BriefView, description: 'the service, the state to resume from, the package' })
  @Get('session')
  async brief(@Req() req: Request) {
    return presentBrief(await this.executor.brief(executorOf(req)));
  }

  @ApiOperation({ summary: 'The application’s package' })
  @ApiResponse({
    status: 200,
    description: 'gzip tar',
    content: { 'application/gzip': { schema: { type: 'string', format: 'binary' }, example: '<gzip tar>' } },
  })
  @Get('package')
  async package(@Req() req: Request, @Res() res: Response): Promise<void> {
    const stream = await this.executor.package(executorOf(req));
    res.status(200).type('application/gzip');
    await pipeline(stream, res).catch(() => res.destroy());
  }

  @ApiOperation({ summary: 'Read an object of the executor’s application' })
  @ApiResponse({
    status: 200,
    description: 'an argument, the service or its state',
    content: {
      'application/octet-stream': { schema: { type: 'string', format: 'binary' }, example: '<the object’s bytes>' },
    },
  })
  @ApiResponse({ status: 202, description: 'still pending: ask again' })
  @NoSuch('object in its application')
  @Get('objects/:app/:session/:object')
  async object(
    @Param('app') app: string,
    @Param('session') session: string,
    @Param('object') name: string,
    @Query() q: WaitQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const key = `${app}/${session}/${name}`;
    const content = await this.executor.object(executorOf(req), key, q.wait_ms ?? 0);
    if (!content) return sendPending(res, key);
    await sendObject(req, res, content);
  }

  /** Calls the served code submits to its own session (Flame's recursive services); their results are read as objects. */
  @ApiOperation({ summary: 'Submit calls to its own session' })
  @ApiResponse({
    status: 201,
    type: SubmittedCallsView,
    description: 'their sequence numbers and result keys: calls the served code makes on its own session (Flame’s recursive services)',
  })
  @ApiResponse({
    status: 409,
    description: 'an ordered session (a call of it would wait for itself), a session no longer open, or a call id used before',
  })
  @Post('calls')
  async submit(@Body() body: SubmitCallsDto, @Req() req: Request) {
    const calls = body.calls.map((c) => ({ id: c.id, method: c.method, args: bytes(c.args), argsKey: c.args_key, refs: c.refs }));
    return { calls: await this.executor.submit(executorOf(req), calls) };
  }

  /** A call's result too large for the exchange, uploaded before the exchange that commits it. */
  @ApiOperation({ summary: 'Upload a large result before committing it' })
  @ApiResponse({
    status: 200,
    description: 'written; the next exchange commits it (staged)',
    schema: { type: 'object', properties: { size: { type: 'integer', example: 4194304 } } },
  })
  @ApiResponse({ status: 404, description: 'the call is not running on this executor' })
  @Put('uploads/calls/:call')
  upload(@Param('call', recordId) call: number, @Req() req: Request) {
    return this.executor.upload(executorOf(req), { call }, req);
  }

  @ApiOperation({ summary: 'Upload a large state before committing it' })
  @ApiResponse({
    status: 200,
    description: 'written; the next exchange commits it (staged)',
    schema: { type: 'object', properties: { size: { type: 'integer', example: 4194304 } } },
  })
  @Put('uploads/state/:version')
  uploadState(@Param('version', recordId) version: number, @Req() req: Request) {
    return this.executor.upload(executorOf(req), { stateVersion: version }, req);
  }

  /** Commits results (and an ordered session's state) and answers the next calls, long-polling up to `wait_ms`. */
  @ApiOperation({ summary: 'Commit results (and state) and take the next calls' })
  @ApiExtraModels(ClaimedCallView)
  @ApiResponse({
    status: 200,
    description: 'one transaction guarded by the state version; the next calls long-polled up to wait_ms',
    schema: {
      type: 'object',
      properties: { open: { type: 'boolean', example: true }, calls: { type: 'array', items: { $ref: getSchemaPath(ClaimedCallView) } } },
    },
  })
  @ApiResponse({ status: 401, description: 'no credential, not a valid one, or its run ended' })
  @ApiResponse({ status: 403, description: 'a result for a call not handed to this executor (nothing stored)' })
  @Post('exchange')
  @HttpCode(200)
  async exchange(@Body() body: ExchangeDto, @Req() req: Request) {
    const { calls, open } = await this.executor.exchange(executorOf(req), {
      results: body.results.map((r) => ({ call: r.call, ok: r.ok, codec: r.codec, data: bytes(r.data), staged: r.staged, error: r.error })),
      state: body.state && {
        version: body.state.version,
        codec: body.state.codec,
        data: bytes(body.state.data),
        staged: body.state.staged,
      },
      max: body.max,
      waitMs: body.wait_ms,
    });
    return { open, calls: calls.map(presentClaimed) };
  }

  /** The executor cannot serve its session: the session is lost, with this message for its client. */
  @ApiOperation({ summary: 'Report that the executor cannot serve its session' })
  @ApiResponse({ status: 204, description: 'the session is lost, with this message for its client' })
  @Post('fatal')
  @HttpCode(204)
  async fatal(@Body() body: FatalDto, @Req() req: Request): Promise<void> {
    await this.executor.fatal(executorOf(req), body.message);
  }
}
