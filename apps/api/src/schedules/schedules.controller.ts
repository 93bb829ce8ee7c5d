import { Body, Controller, Delete, Get, HttpCode, Param, PipeTransform, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { actorOf } from '@runyard/auth';
import { BadInputError } from '@runyard/runs';
import { ensureScheduleName, ScheduleInputError, ScheduleOwner, SchedulesService } from '@runyard/schedules';
import { requesterOf } from '../common/requester';
import { presentSchedule } from './schedule.presenter';
import { CreateScheduleDto } from './schedules.dto';

/** A schedule's name in a path: the same strict format as at creation. */
class ScheduleNamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    try {
      return ensureScheduleName(value);
    } catch (e) {
      throw e instanceof ScheduleInputError ? new BadInputError(e.message) : e;
    }
  }
}
const scheduleName = new ScheduleNamePipe();

/** The requester, whose token the schedule's fires act for. */
const ownerOf = (req: Request): ScheduleOwner => ({ name: requesterOf(req), tokenId: actorOf(req)?.tokenId ?? null });

/** Cron schedules of experiment runs (writes need an operator, as runs do). */
@Controller('api/v1/schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: CreateScheduleDto, @Req() req: Request) {
    const view = await this.schedules.create(
      {
        name: body.name,
        cron: body.cron,
        timezone: body.timezone,
        expid: body.expid,
        profileName: body.profile_name,
        profileParams: body.profile_params,
        overlap: body.overlap,
      },
      ownerOf(req),
    );
    return presentSchedule(view);
  }

  @Get()
  async list() {
    return { schedules: (await this.schedules.list()).map(presentSchedule) };
  }

  @Get(':name')
  async get(@Param('name', scheduleName) name: string) {
    return presentSchedule(await this.schedules.get(name));
  }

  @Post(':name/pause')
  @HttpCode(200)
  async pause(@Param('name', scheduleName) name: string) {
    return presentSchedule(await this.schedules.pause(name));
  }

  @Post(':name/resume')
  @HttpCode(200)
  async resume(@Param('name', scheduleName) name: string, @Req() req: Request) {
    return presentSchedule(await this.schedules.resume(name, ownerOf(req)));
  }

  @Delete(':name')
  @HttpCode(204)
  async delete(@Param('name', scheduleName) name: string): Promise<void> {
    await this.schedules.delete(name);
  }
}
