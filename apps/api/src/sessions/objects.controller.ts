import { Controller, Delete, Get, HttpCode, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NoSuch, NotOwner } from '../docs/refusals';
import type { Request, Response } from 'express';
import { ObjectsService } from '@runyard/sessions';
import { sendObject, sendPending } from './object-responses';
import { sdkRequester } from './sdk-requester';
import { PutObjectQuery, WaitQuery } from './sessions.dto';

/** Runner SDK objects under Flame's keys `{app}/{session}/{uuid}`: call results, and what clients put. */
@ApiTags('Runner SDK')
@Controller('api/v1/objects')
export class ObjectsController {
  constructor(private readonly objects: ObjectsService) {}

  /** The bytes once ready (200), waiting up to `wait_ms`; 202 while the call is still to finish; 424 with the remote error when it failed. */
  @ApiOperation({ summary: 'Read an object (a call’s result)' })
  @ApiResponse({
    status: 200,
    description: 'its bytes (X-Runyard-Codec, ETag = version)',
    content: {
      'application/octet-stream': { schema: { type: 'string', format: 'binary' }, example: '<the object’s bytes>' },
    },
  })
  @ApiResponse({ status: 202, description: 'its call is still to finish: ask again' })
  @NoSuch('object')
  @ApiResponse({ status: 424, description: 'its call failed: the body has remote_error' })
  @Get(':app/:session/:object')
  async get(
    @Param('app') app: string,
    @Param('session') session: string,
    @Param('object') name: string,
    @Query() q: WaitQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const key = this.objects.checkedKey(app, session, name);
    const content = await this.objects.read(key, q.wait_ms ?? 0);
    if (!content) return sendPending(res, key);
    await sendObject(req, res, content);
  }

  /** Puts bytes (application/octet-stream) under `{app}/shared` or a session of the app; answers the key. */
  @ApiOperation({ summary: 'Put an object (application/octet-stream)' })
  @ApiResponse({
    status: 201,
    description: 'stored under {app}/shared or a session of the app (Flame’s put_object; large call arguments)',
    schema: {
      type: 'object',
      properties: { key: { type: 'string', example: 'climate-stats/shared/3f0c…' }, size: { type: 'integer', example: 1048576 } },
    },
  })
  @NotOwner('application')
  @NoSuch('application or session')
  @Put(':app/:session')
  async put(
    @Param('app') app: string,
    @Param('session') session: string,
    @Query() q: PutObjectQuery,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    res.status(201);
    return this.objects.put(app, session, q.codec, req, sdkRequester(req));
  }

  /** Every object of the application. */
  @ApiOperation({ summary: 'Delete an application’s objects' })
  @ApiResponse({ status: 204, description: 'deleted, rows and files' })
  @NotOwner('application')
  @ApiResponse({ status: 404, description: 'the application has no objects' })
  @Delete(':app')
  @HttpCode(204)
  async deleteAll(@Param('app') app: string, @Req() req: Request): Promise<void> {
    await this.objects.deleteAll(app, sdkRequester(req));
  }
}
