import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { KernelService } from '@runyard/kernelci';
import type { ScheduleTest } from '@runyard/kernelci';
import { requesterOf } from '../common/requester';
import { recordId } from '../common/validation';
import { presentBuild, presentTest } from './kernel.presenter';
import { ListKernelQuery, RunBootTestDto, RunBuildDto, RunTestDto } from './kernel.dto';

/** The KernelCI bridge's scheduling paths: each answers 202 once the build or test is recorded and queued. */
@Controller('api/v1')
export class KernelController {
  constructor(private readonly kernel: KernelService) {}

  @Post('builds/run')
  @HttpCode(202)
  async runBuild(@Body() b: RunBuildDto, @Req() req: Request) {
    const build = await this.kernel.scheduleBuild(
      {
        runner: b.runner,
        toolchain: b.toolchain,
        arch: b.arch,
        tree: b.tree,
        branch: b.branch,
        kconfig: b.kconfig ?? null,
        fragments: b.fragments,
      },
      requesterOf(req),
    );
    return presentBuild(build);
  }

  @Post('tests/run')
  @HttpCode(202)
  async runTests(@Body() t: RunTestDto, @Req() req: Request) {
    return presentTest(await this.kernel.scheduleTest('test', scheduleOf(t, t.tests, t.collection), requesterOf(req)));
  }

  /** A boot test: a test run without tests (TuxSuite always boots first). */
  @Post('boot-test/run')
  @HttpCode(202)
  async runBootTest(@Body() t: RunBootTestDto, @Req() req: Request) {
    return presentTest(await this.kernel.scheduleTest('boot', scheduleOf(t, [], null), requesterOf(req)));
  }

  @Get('builds')
  async builds(@Query() q: ListKernelQuery) {
    return (await this.kernel.listBuilds(q.limit ?? 50, q.state)).map((b) => presentBuild(b));
  }

  @Get('builds/:id')
  async build(@Param('id', recordId) id: number) {
    return presentBuild(await this.kernel.build(id));
  }

  @Get('tests')
  async tests(@Query() q: ListKernelQuery) {
    return (await this.kernel.listTests(q.limit ?? 50, q.state)).map((t) => presentTest(t));
  }

  @Get('tests/:id')
  async test(@Param('id', recordId) id: number) {
    const { test, results } = await this.kernel.test(id);
    return presentTest(test, results);
  }

  /** Submits to KCIDB what it has not accepted yet (the worker also retries periodically). */
  @Post('sync/results')
  @HttpCode(202)
  async syncResults() {
    await this.kernel.syncKcidb();
    return { queued: true };
  }

  @Post('sync/builds')
  @HttpCode(202)
  async syncBuilds() {
    await this.kernel.syncKcidb();
    return { queued: true };
  }
}

function scheduleOf(t: RunBootTestDto, tests: string[], collection: string | null): ScheduleTest {
  return {
    runner: t.runner,
    buildId: t.build_id,
    kernelImageUrl: t.kernel_image_url,
    modulesUrl: t.modules_url ?? null,
    tests,
    collection,
    device: t.device,
  };
}
