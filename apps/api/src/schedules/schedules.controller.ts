import { Body, Controller, Delete, Get, HttpCode, Param, PipeTransform, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NoSuch } from '../docs/refusals';
import type { Request } from 'express';
import { actorOf } from '@runyard/auth';
import { BadInputError } from '@runyard/runs';
import { ensureScheduleName, ScheduleInputError, ScheduleOwner, SchedulesService } from '@runyard/schedules';
import { requesterOf } from '../common/requester';
import { presentSchedule, ScheduleDocument, ScheduleList } from './schedule.presenter';
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
@ApiTags('Schedules')
@Controller('api/v1/schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @ApiOperation({ summary: 'Schedule runs of an experiment (cron)' })
  @ApiResponse({ status: 201, type: ScheduleDocument, description: 'the schedule with its next fire times' })
  @ApiResponse({
    status: 400,
    description: 'bad input: the DTO’s rules, a cron expression or a timezone that does not parse (with the reason)',
  })
  @NoSuch('profile')
  @ApiResponse({ status: 409, description: 'the name is taken' })
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

  @ApiOperation({ summary: 'List schedules' })
  @ApiResponse({ status: 200, type: ScheduleList, description: 'by name, each with its next fire times, its counts and its newest fires' })
  @Get()
  async list() {
    return { schedules: (await this.schedules.list()).map(presentSchedule) };
  }

  @ApiOperation({ summary: 'Get a schedule' })
  @ApiResponse({ status: 200, type: ScheduleDocument, description: 'its next fire times, runs started, skips and newest fires' })
  @NoSuch('schedule')
  @Get(':name')
  async get(@Param('name', scheduleName) name: string) {
    return presentSchedule(await this.schedules.get(name));
  }

  @ApiOperation({ summary: 'Pause a schedule' })
  @ApiResponse({ status: 200, type: ScheduleDocument, description: 'no fires until resumed (a fire waiting for a run is dropped)' })
  @NoSuch('schedule')
  @Post(':name/pause')
  @HttpCode(200)
  async pause(@Param('name', scheduleName) name: string) {
    return presentSchedule(await this.schedules.pause(name));
  }

  @ApiOperation({ summary: 'Resume a schedule' })
  @ApiResponse({ status: 200, type: ScheduleDocument, description: 'fires again from its next fire time' })
  @NoSuch('schedule')
  @Post(':name/resume')
  @HttpCode(200)
  async resume(@Param('name', scheduleName) name: string, @Req() req: Request) {
    return presentSchedule(await this.schedules.resume(name, ownerOf(req)));
  }

  @ApiOperation({ summary: 'Delete a schedule' })
  @ApiResponse({ status: 204, description: 'deleted, with its job scheduler' })
  @NoSuch('schedule')
  @Delete(':name')
  @HttpCode(204)
  async delete(@Param('name', scheduleName) name: string): Promise<void> {
    await this.schedules.delete(name);
  }
}
