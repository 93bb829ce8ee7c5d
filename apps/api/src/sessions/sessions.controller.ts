import { Body, Controller, Delete, Get, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { SessionsService } from '@runyard/sessions';
import { recordId } from '../common/validation';
import { CallsQuery, FinishedCallsQuery, ListSessionsQuery, OpenSessionDto, SubmitCallsDto } from './sessions.dto';
import { sdkRequester } from './sdk-requester';
import { presentCall, presentFinished, presentSession } from './sessions.presenter';

/** Runner SDK sessions: a service served by executors (runs of kind `session`), its calls, their results. */
@Controller('api/v1/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /**
   * Opens the session and starts its executors through the application's profile; answers without waiting for them.
   * A `name` of an open session of the application joins that session (`joined: true`), as Flame's open_session.
   */
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

  @Get(':id')
  async get(@Param('id', recordId) id: number) {
    return presentSession(await this.sessions.summary(id));
  }

  /** Closes the service: pending calls are cancelled, its executors exit. */
  @Delete(':id')
  async close(@Param('id', recordId) id: number, @Req() req: Request) {
    return presentSession(await this.sessions.close(id, sdkRequester(req)));
  }

  /** Appends calls in the order given (served in that order by an ordered session); their results are `{app}/{session}/{id}`. */
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
  @Get(':id/calls')
  async calls(@Param('id', recordId) id: number, @Query() q: CallsQuery, @Req() req: Request) {
    const calls = await this.sessions.calls(id, sdkRequester(req), q.after ?? -1, q.limit ?? 100);
    return { calls: calls.map(presentCall) };
  }

  /** The finished calls among `seqs`, long-polling up to `wait_ms`; small results come inline (base64). */
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
