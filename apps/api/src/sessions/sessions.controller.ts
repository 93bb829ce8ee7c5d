import { Body, Controller, Delete, Get, Param, Post, Query, Req } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { NoSuch, NotOwner } from '../docs/refusals';
import type { Request } from 'express';
import { BadInputError } from '@runyard/runs';
import { SessionsService } from '@runyard/sessions';
import { recordId } from '../common/validation';
import { CallsQuery, FinishedCallsQuery, ListSessionsQuery, OpenSessionDto, SubmitCallsDto } from './sessions.dto';
import { sdkRequester } from './sdk-requester';
import {
  CallView,
  FinishedCallView,
  OpenedSessionView,
  presentCall,
  presentFinished,
  presentSession,
  SessionView,
  SubmittedCallsView,
} from './sessions.presenter';

/** Runner SDK sessions: a service served by executors (runs of kind `session`), its calls, their results. */
@ApiTags('Runner SDK')
@ApiExtraModels(SessionView, FinishedCallView, CallView)
@Controller('api/v1/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /**
   * Opens the session and starts its executors through the application's profile; answers without waiting for them.
   * A `name` of an open session of the application joins that session (`joined: true`), as Flame's open_session.
   */
  @ApiOperation({ summary: 'Open a session (a service) and start its executors' })
  @ApiResponse({
    status: 201,
    type: OpenedSessionView,
    description:
      'the session, its executors queued as runs of kind session through the application’s profile; with a name, the open session of that name',
  })
  @ApiResponse({ status: 400, description: 'bad input: the DTO’s rules, or the open session of that name serves another service' })
  @NotOwner('application')
  @NoSuch('application')
  @ApiResponse({ status: 409, description: 'the session of that name is not open: choose another name' })
  @Post()
  async open(@Body() body: OpenSessionDto, @Req() req: Request) {
    const session = await this.sessions.open({
      application: body.application,
      name: body.name,
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
    return { ...presentSession(session), joined: session.joined };
  }

  @ApiOperation({ summary: 'List sessions, newest first' })
  @ApiResponse({
    status: 200,
    description: 'filtered by application, name and status',
    schema: { type: 'object', properties: { sessions: { type: 'array', items: { $ref: getSchemaPath(SessionView) } } } },
  })
  @Get()
  async list(@Query() q: ListSessionsQuery) {
    const sessions = await this.sessions.list({
      application: q.application,
      name: q.name,
      status: q.status,
      limit: q.limit ?? 50,
    });
    return { sessions: sessions.map(presentSession) };
  }

  @ApiOperation({ summary: 'Get a session' })
  @ApiResponse({ status: 200, type: SessionView, description: 'the session, with its calls and runs' })
  @NoSuch('session')
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
  @NotOwner('session')
  @NoSuch('session')
  @Delete(':id')
  async close(@Param('id', recordId) id: number, @Req() req: Request) {
    return presentSession(await this.sessions.close(id, sdkRequester(req)));
  }

  /** Appends calls in the order given (served in that order by an ordered session); their results are `{app}/{session}/{id}`. */
  @ApiOperation({ summary: 'Submit calls, in order' })
  @ApiResponse({
    status: 201,
    type: SubmittedCallsView,
    description: 'their sequence numbers and result keys; the same batch sent again answers as stored',
  })
  @NotOwner('session')
  @NoSuch('session')
  @ApiResponse({ status: 409, description: 'the session is not open, or a call id of the batch was used before' })
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

  /** The session's calls in submission order, with their arguments: for its owner (or an admin) only. */
  @ApiOperation({ summary: 'Read a session’s calls and their arguments' })
  @ApiResponse({
    status: 200,
    description: 'in submission order, after the sequence number `after`',
    schema: { type: 'object', properties: { calls: { type: 'array', items: { $ref: getSchemaPath(CallView) } } } },
  })
  @ApiResponse({ status: 403, description: 'not the session’s owner (only its owner or an admin reads its calls)' })
  @NoSuch('session')
  @Get(':id/calls')
  async calls(@Param('id', recordId) id: number, @Query() q: CallsQuery, @Req() req: Request) {
    const calls = await this.sessions.calls(id, sdkRequester(req), q.after ?? -1, q.limit ?? 100);
    return { calls: calls.map(presentCall) };
  }

  /** The finished calls among `seqs` and `ids`, long-polling up to `wait_ms`; small results come inline (base64). */
  @ApiOperation({ summary: 'Wait for calls’ results' })
  @ApiResponse({
    status: 200,
    description: 'the finished calls among seqs and ids, long-polling up to wait_ms (at most 30 s) for one',
    schema: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['open', 'closed', 'lost'], example: 'open' },
        detail: { type: 'string', nullable: true, example: null },
        results: { type: 'array', items: { $ref: getSchemaPath(FinishedCallView) } },
      },
    },
  })
  @NoSuch('session')
  @Get(':id/results')
  async results(@Param('id', recordId) id: number, @Query() q: FinishedCallsQuery) {
    if (q.seqs === undefined && q.ids === undefined) throw new BadInputError('name the calls waited for: seqs, ids or both');
    const ranges = (q.seqs?.split(',') ?? []).map((r): [number, number] => {
      const [lo, hi] = r.split('-').map(Number);
      return [lo, hi ?? lo];
    });
    const { status, detail, results } = await this.sessions.finished(id, { ranges, ids: q.ids?.split(',') ?? [] }, q.wait_ms ?? 0);
    return { status, detail, results: results.map(presentFinished) };
  }
}
