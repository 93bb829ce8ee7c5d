import { Controller, Delete, Get, HttpCode, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { PackagesService } from '@runyard/sessions';
import { declaredLength } from './object-responses';
import { PackageQuery } from './sessions.dto';
import { PackageView } from './sessions.presenter';

/** Runner SDK packages, content-addressed: a client asks first, then uploads only what is missing. */
@ApiTags('Runner SDK')
@Controller('api/v1/packages')
export class PackagesController {
  constructor(private readonly packages: PackagesService) {}

  /** 200 when stored; 404 when not (upload it); 413 when `size` is more than this Runyard accepts. */
  @ApiOperation({ summary: 'Find a package by its SHA-256' })
  @ApiResponse({ status: 200, type: PackageView, description: 'stored' })
  @ApiResponse({ status: 404, description: 'not stored: upload it' })
  @ApiResponse({ status: 413, description: 'the size the client gives is over PACKAGE_MAX_BYTES' })
  @ApiResponse({ status: 503, description: 'the package directory is missing, or the database is unavailable' })
  @Get(':sha')
  find(@Param('sha') sha: string, @Query() q: PackageQuery) {
    return this.packages.find(sha, q.size);
  }

  /** The gzip tar itself (application/octet-stream); its SHA-256 must be the one in the path. */
  @ApiOperation({ summary: 'Upload a package (gzip tar, application/octet-stream)' })
  @ApiResponse({ status: 201, type: PackageView, description: 'stored once its SHA-256 matches the path' })
  @ApiResponse({ status: 200, type: PackageView, description: 'it was stored already' })
  @ApiResponse({ status: 400, description: 'its SHA-256 is not the path’s' })
  @ApiResponse({ status: 413, description: 'larger than PACKAGE_MAX_BYTES' })
  @Put(':sha')
  async upload(@Param('sha') sha: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const stored = await this.packages.upload(sha, req, declaredLength(req));
    res.status(stored.created ? 201 : 200);
    return { sha256: stored.sha256, size: stored.size };
  }

  /** Drops the package unless an application still uses it (409). */
  @ApiOperation({ summary: 'Release a package' })
  @ApiResponse({ status: 204, description: 'deleted' })
  @ApiResponse({ status: 404, description: 'not stored' })
  @ApiResponse({ status: 409, description: 'an application uses it' })
  @Delete(':sha')
  @HttpCode(204)
  async release(@Param('sha') sha: string): Promise<void> {
    await this.packages.release(sha);
  }
}
