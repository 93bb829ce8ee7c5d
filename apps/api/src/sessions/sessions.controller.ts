import { Body, Controller, Delete, Get, Param, Post, Query, Req } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Request } from 'express';
import { SessionsService } from '@runyard/sessions';
import { recordId } from '../common/validation';
import { FinishedCallsQuery, ListSessionsQuery, OpenSessionDto, SubmitCallsDto } from './sessions.dto';
import { sdkRequester } from './sdk-requester';
import { FinishedCallView, presentFinished, presentSession, SessionView } from './sessions.presenter';

/** Runner SDK sessions: a service served by executors (runs of kind `session`), its calls, their results. */
@ApiTags('Runner SDK')
@ApiExtraModels(SessionView, FinishedCallView)
@Controller('api/v1/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /** Opens the session and starts its executors through the application's profile; answers without waiting for them. */
  @ApiOperation({ summary: 'Open a session (a service) and start its executors' })
  @ApiResponse({
    status: 201,
    type: SessionView,
    description: 'the session, its executors queued as runs of kind session through the application’s profile',
  })
  @ApiResponse({ status: 403, description: 'not the application’s owner' })
  @ApiResponse({ status: 404, description: 'no such application' })
  @Post()
  async open(@Body() body: OpenSessionDto, @Req() req: Request) {
    const session = await this.sessions.open({
      application: body.application,
      kind: body.kind,
      codec: body.codec,
      service: body.service === undefined ? undefined : Buffer.from(body.service, 'base64'),
      serviceKey: body.service_key,
      methods: body.methods,
      replicas: body.replicas,
      module: body.module,
      export: body.export,
      requester: sdkRequester(req),
    });
    return presentSession(session);
  }

  @ApiOperation({ summary: 'List sessions, newest first' })
  @ApiResponse({
    status: 200,
    description: 'filtered by application and status',
    schema: { type: 'object', properties: { sessions: { type: 'array', items: { $ref: getSchemaPath(SessionView) } } } },
  })
  @Get()
  async list(@Query() q: ListSessionsQuery) {
    const sessions = await this.sessions.list({ application: q.application, status: q.status, limit: q.limit ?? 50 });
    return { sessions: sessions.map(presentSession) };
  }

  @ApiOperation({ summary: 'Get a session' })
  @ApiResponse({ status: 200, type: SessionView, description: 'the session, with its calls and runs' })
  @ApiResponse({ status: 404, description: 'no such session' })
  @Get(':id')
  async get(@Param('id', recordId) id: number) {
    return presentSession(await this.sessions.summary(id));
  }

  /** Closes the service: pending calls are cancelled, its executors exit. */
  @ApiOperation({ summary: 'Close a session' })
  @ApiResponse({
    status: 200,
    type: SessionView,
    description: 'closed: its pending calls cancelled (their results fail with SessionClosedError), its executors exit',
  })
  @ApiResponse({ status: 403, description: 'not the session’s owner' })
  @ApiResponse({ status: 404, description: 'no such session' })
  @Delete(':id')
  async close(@Param('id', recordId) id: number, @Req() req: Request) {
    return presentSession(await this.sessions.close(id, sdkRequester(req)));
  }

  /** Appends calls in the order given (served in that order by an ordered session); their results are `{app}/{session}/{id}`. */
  @ApiOperation({ summary: 'Submit calls, in order' })
  @ApiResponse({
    status: 201,
    description: 'their sequence numbers and result keys; the same batch sent again answers as stored',
    schema: {
      type: 'object',
      properties: {
        calls: {
          type: 'array',
          items: {
            type: 'object',
            properties: { seq: { type: 'integer', example: 1 }, key: { type: 'string', example: 'climate-stats/7/1' } },
          },
        },
      },
    },
  })
  @ApiResponse({ status: 403, description: 'not the session’s owner' })
  @ApiResponse({ status: 404, description: 'no such session' })
  @ApiResponse({ status: 409, description: 'the session is not open' })
  @Post(':id/calls')
  async submit(@Param('id', recordId) id: number, @Body() body: SubmitCallsDto, @Req() req: Request) {
    const stored = await this.sessions.submit(
      id,
      body.calls.map((c) => ({
        id: c.id,
        method: c.method,
        args: c.args === undefined ? undefined : Buffer.from(c.args, 'base64'),
        argsKey: c.args_key,
        refs: c.refs,
      })),
      sdkRequester(req),
    );
    return { calls: stored };
  }

  /** The finished calls among `seqs`, long-polling up to `wait_ms`; small results come inline (base64). */
  @ApiOperation({ summary: 'Wait for calls’ results' })
  @ApiResponse({
    status: 200,
    description: 'the finished calls among seqs, long-polling up to wait_ms (at most 30 s) for one',
    schema: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['open', 'closed', 'lost'], example: 'open' },
        detail: { type: 'string', nullable: true, example: null },
        results: { type: 'array', items: { $ref: getSchemaPath(FinishedCallView) } },
      },
    },
  })
  @ApiResponse({ status: 404, description: 'no such session' })
  @Get(':id/results')
  async results(@Param('id', recordId) id: number, @Query() q: FinishedCallsQuery) {
    const ranges = q.seqs.split(',').map((r): [number, number] => {
      const [lo, hi] = r.split('-').map(Number);
      return [lo, hi ?? lo];
    });
    const { session, results } = await this.sessions.finished(id, ranges, q.wait_ms ?? 0);
    return { status: session.status, detail: session.detail, results: results.map(presentFinished) };
  }
}
