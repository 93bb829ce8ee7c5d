import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { NoSuch, NotOwner } from '../docs/refusals';
import type { Request, Response } from 'express';
import { Environment } from '@runyard/config';
import { ApplicationsService, SessionsRepository } from '@runyard/sessions';
import { RegisterApplicationDto } from './sessions.dto';
import { sdkRequester } from './sdk-requester';
import { ApplicationView, presentApplication, RegisteredApplicationView } from './sessions.presenter';

/** Runner SDK applications: registered on a package with a runtime and a profile; kept while their client renews the lease. */
@ApiTags('Runner SDK')
@ApiExtraModels(ApplicationView)
@Controller('api/v1/applications')
export class ApplicationsController {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly repo: SessionsRepository,
    private readonly env: Environment,
  ) {}

  /** 201, or 200 with `reused: true` when it exists and reuse was asked; 409 when it exists otherwise. */
  @ApiOperation({ summary: 'Register an application' })
  @ApiResponse({ status: 201, type: RegisteredApplicationView, description: 'registered, with a lease to renew' })
  @ApiResponse({ status: 200, type: RegisteredApplicationView, description: 'it existed and reuse was asked: reused=true' })
  @ApiResponse({ status: 400, description: 'bad input: the DTO’s rules, or no profile runs the runtime' })
  @NoSuch('package or profile')
  @ApiResponse({ status: 409, description: 'the name is taken (and reuse was not asked)' })
  @Post()
  async register(@Body() body: RegisterApplicationDto, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const { application, reused } = await this.applications.register({
      name: body.name,
      packageSha: body.package_sha,
      runtime: body.runtime,
      profile: body.profile,
      workdir: body.workdir,
      reuse: body.reuse,
      requester: sdkRequester(req),
    });
    res.status(reused ? 200 : 201);
    return { ...(await this.present(application.name)), reused, lease_ms: this.env.SESSION_LEASE_MS };
  }

  @ApiOperation({ summary: 'List applications' })
  @ApiResponse({
    status: 200,
    description: 'every registered application, by name',
    schema: { type: 'object', properties: { applications: { type: 'array', items: { $ref: getSchemaPath(ApplicationView) } } } },
  })
  @Get()
  async list() {
    return { applications: (await this.applications.list()).map(presentApplication) };
  }

  @ApiOperation({ summary: 'Get an application' })
  @ApiResponse({ status: 200, type: ApplicationView, description: 'the application' })
  @NoSuch('application')
  @Get(':app')
  async get(@Param('app') name: string) {
    await this.applications.get(name);
    return this.present(name);
  }

  /** The client is alive: renewed every third of the lease by the SDKs. */
  @ApiOperation({ summary: 'Renew an application’s lease' })
  @ApiResponse({
    status: 200,
    description: 'the client is alive: the reaper leaves the application alone until the new expiry',
    schema: {
      type: 'object',
      properties: {
        lease_expires_at: { type: 'string', format: 'date-time', example: '2026-12-07T09:03:00.000Z' },
        lease_ms: { type: 'integer', example: 90000 },
      },
    },
  })
  @NotOwner('application')
  @NoSuch('application')
  @Post(':app/lease')
  @HttpCode(200)
  async renew(@Param('app') name: string, @Req() req: Request) {
    return { lease_expires_at: await this.applications.renewLease(name, sdkRequester(req)), lease_ms: this.env.SESSION_LEASE_MS };
  }

  /** Closes its sessions and unregisters it; its objects (DELETE /api/v1/objects/:app) and package are released apart, as Flame does. */
  @ApiOperation({ summary: 'Unregister an application' })
  @ApiResponse({
    status: 200,
    description: 'its sessions closed (executors stopped) and the application unregistered; its objects and package are released apart',
    schema: {
      type: 'object',
      properties: { name: { type: 'string', example: 'climate-stats' }, package_sha: { type: 'string', example: '9f2c…5c4b' } },
    },
  })
  @NotOwner('application')
  @NoSuch('application')
  @Delete(':app')
  async unregister(@Param('app') name: string, @Req() req: Request) {
    return { name, package_sha: await this.applications.unregister(name, sdkRequester(req)) };
  }

  private async present(name: string) {
    const [found] = await this.repo.applications(name);
    return found ? presentApplication(found) : null;
  }
}
