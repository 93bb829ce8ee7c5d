import { Controller, Delete, Get, HttpCode, Param, Put, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PackagesService } from '@runyard/sessions';
import { declaredLength } from './object-responses';
import { PackageQuery } from './sessions.dto';

/** Runner SDK packages, content-addressed: a client asks first, then uploads only what is missing. */
@Controller('api/v1/packages')
export class PackagesController {
  constructor(private readonly packages: PackagesService) {}

  /** 200 when stored; 404 when not (upload it); 413 when `size` is more than this Runyard accepts. */
  @Get(':sha')
  find(@Param('sha') sha: string, @Query() q: PackageQuery) {
    return this.packages.find(sha, q.size);
  }

  /** The gzip tar itself (application/octet-stream); its SHA-256 must be the one in the path. */
  @Put(':sha')
  async upload(@Param('sha') sha: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const stored = await this.packages.upload(sha, req, declaredLength(req));
    res.status(stored.created ? 201 : 200);
    return { sha256: stored.sha256, size: stored.size };
  }

  /** Drops the package unless an application still uses it (409). */
  @Delete(':sha')
  @HttpCode(204)
  async release(@Param('sha') sha: string): Promise<void> {
    await this.packages.release(sha);
  }
}
