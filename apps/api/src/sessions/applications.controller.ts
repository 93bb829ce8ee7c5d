import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Environment } from '@runyard/config';
import { ApplicationsService, SessionsRepository } from '@runyard/sessions';
import { RegisterApplicationDto } from './sessions.dto';
import { sdkRequester } from './sdk-requester';
import { presentApplication } from './sessions.presenter';

/** Runner SDK applications: registered on a package with a runtime and a profile; kept while their client renews the lease. */
@Controller('api/v1/applications')
export class ApplicationsController {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly repo: SessionsRepository,
    private readonly env: Environment,
  ) {}

  /** 201, or 200 with `reused: true` when it exists and reuse was asked; 409 when it exists otherwise. */
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

  @Get()
  async list() {
    return { applications: (await this.applications.list()).map(presentApplication) };
  }

  @Get(':app')
  async get(@Param('app') name: string) {
    await this.applications.get(name);
    return this.present(name);
  }

  /** The client is alive: renewed every third of the lease by the SDKs. */
  @Post(':app/lease')
  @HttpCode(200)
  async renew(@Param('app') name: string, @Req() req: Request) {
    return { lease_expires_at: await this.applications.renewLease(name, sdkRequester(req)), lease_ms: this.env.SESSION_LEASE_MS };
  }

  /** Closes its sessions and unregisters it; its objects (DELETE /api/v1/objects/:app) and package are released apart, as Flame does. */
  @Delete(':app')
  async unregister(@Param('app') name: string, @Req() req: Request) {
    return { name, package_sha: await this.applications.unregister(name, sdkRequester(req)) };
  }

  private async present(name: string) {
    const [found] = await this.repo.applications(name);
    return found ? presentApplication(found) : null;
  }
}
