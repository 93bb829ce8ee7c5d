import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NoSuch } from '../docs/refusals';
import type { Request, Response } from 'express';
import { KernelService } from '@runyard/kernelci';
import type { ScheduleTest } from '@runyard/kernelci';
import { requesterOf } from '../common/requester';
import { recordId } from '../common/validation';
import { BuildView, presentBuild, presentTest, TestView } from './kernel.presenter';
import { ListKernelQuery, RunBootTestDto, RunBuildDto, RunTestDto, ScheduleTestDto, SubmitTestResultsDto } from './kernel.dto';

const buildUrl = (id: number) => `/api/v1/builds/${id}`;
const testUrl = (id: number) => `/api/v1/tests/${id}`;

/**
 * Kernel CI. The KernelCI bridge's paths answer as the bridge does (204, the record's URL in
 * `Location`), so its clients work unchanged; Runyard's own paths (POST /api/v1/builds, /tests)
 * answer the record itself.
 */
@ApiTags('Kernel CI')
@Controller('api/v1')
export class KernelController {
  constructor(private readonly kernel: KernelService) {}

  @ApiOperation({ summary: 'Schedule a kernel build (the bridge’s path)' })
  @ApiResponse({
    status: 204,
    description: 'recorded and queued; no body, as the bridge answers (POST /api/v1/builds answers the build)',
    headers: {
      Location: { description: 'the URL of the recorded build or test', schema: { type: 'string', example: '/api/v1/builds/12' } },
    },
  })
  @Post('builds/run')
  @HttpCode(204)
  async runBuild(@Body() b: RunBuildDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    res.location(buildUrl((await this.scheduleBuild(b, req)).id));
  }

  @ApiOperation({ summary: 'Schedule kernel tests (the bridge’s path)' })
  @ApiResponse({
    status: 204,
    description: 'recorded and queued; no body, as the bridge answers (POST /api/v1/tests answers the test)',
    headers: {
      Location: { description: 'the URL of the recorded build or test', schema: { type: 'string', example: '/api/v1/builds/12' } },
    },
  })
  @Post('tests/run')
  @HttpCode(204)
  async runTests(@Body() t: RunTestDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const test = await this.kernel.scheduleTest('test', scheduleOf(t, t.tests, t.collection), requesterOf(req));
    res.location(testUrl(test.id));
  }

  /** A boot test: a test run without tests (TuxSuite always boots first). */
  @ApiOperation({ summary: 'Schedule a boot test (the bridge’s path)' })
  @ApiResponse({
    status: 204,
    description: 'recorded and queued: a test run without tests; no body, as the bridge answers',
    headers: {
      Location: { description: 'the URL of the recorded build or test', schema: { type: 'string', example: '/api/v1/builds/12' } },
    },
  })
  @Post('boot-test/run')
  @HttpCode(204)
  async runBootTest(@Body() t: RunBootTestDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const test = await this.kernel.scheduleTest('boot', scheduleOf(t, [], null), requesterOf(req));
    res.location(testUrl(test.id));
  }

  /** Results of tests run elsewhere: stored, then submitted to KCIDB. */
  @ApiOperation({ summary: 'Submit test results run elsewhere (the bridge’s path)' })
  @ApiResponse({
    status: 204,
    description: 'stored and submitted to KCIDB; kept for /api/v1/sync/results when KCIDB refuses',
    headers: {
      Location: { description: 'the URL of the recorded build or test', schema: { type: 'string', example: '/api/v1/builds/12' } },
    },
  })
  @ApiResponse({ status: 409, description: 'this test_uid was submitted already' })
  @Post('tests/submit')
  @HttpCode(204)
  async submitResults(@Body() s: SubmitTestResultsDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const test = await this.kernel.submitResults(
      {
        uid: s.test_uid,
        buildId: s.build_id,
        device: s.device,
        runtime: s.runtime,
        tests: s.tests.map((t) => ({ name: t.test_name, collection: t.test_collection ?? null, result: t.result, logs: t.logs ?? null })),
      },
      requesterOf(req),
    );
    res.location(testUrl(test.id));
  }

  @ApiOperation({ summary: 'Schedule a kernel build' })
  @ApiResponse({
    status: 202,
    type: BuildView,
    description: 'the recorded build',
    headers: {
      Location: { description: 'the URL of the recorded build or test', schema: { type: 'string', example: '/api/v1/builds/12' } },
    },
  })
  @Post('builds')
  @HttpCode(202)
  async createBuild(@Body() b: RunBuildDto, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const build = await this.scheduleBuild(b, req);
    res.location(buildUrl(build.id));
    return presentBuild(build);
  }

  @ApiOperation({ summary: 'Schedule kernel tests (or a boot test: no tests)' })
  @ApiResponse({
    status: 202,
    type: TestView,
    description: 'the recorded test',
    headers: {
      Location: { description: 'the URL of the recorded build or test', schema: { type: 'string', example: '/api/v1/builds/12' } },
    },
  })
  @Post('tests')
  @HttpCode(202)
  async createTest(@Body() t: ScheduleTestDto, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const boot = t.tests.length === 0;
    const test = await this.kernel.scheduleTest(
      boot ? 'boot' : 'test',
      scheduleOf(t, t.tests, boot ? null : (t.collection ?? null)),
      requesterOf(req),
    );
    res.location(testUrl(test.id));
    return presentTest(test);
  }

  @ApiOperation({ summary: 'List kernel builds' })
  @ApiResponse({ status: 200, type: [BuildView], description: 'newest first' })
  @Get('builds')
  async builds(@Query() q: ListKernelQuery) {
    return (await this.kernel.listBuilds(q.limit ?? 50, q.state)).map((b) => presentBuild(b));
  }

  @ApiOperation({ summary: 'Get a kernel build' })
  @ApiResponse({ status: 200, type: BuildView, description: 'state, TuxSuite uid, result, artifacts, KCIDB state' })
  @NoSuch('build')
  @Get('builds/:id')
  async build(@Param('id', recordId) id: number) {
    return presentBuild(await this.kernel.build(id));
  }

  @ApiOperation({ summary: 'List kernel tests' })
  @ApiResponse({ status: 200, type: [TestView], description: 'newest first' })
  @Get('tests')
  async tests(@Query() q: ListKernelQuery) {
    return (await this.kernel.listTests(q.limit ?? 50, q.state)).map((t) => presentTest(t));
  }

  @ApiOperation({ summary: 'Get a kernel test with its results' })
  @ApiResponse({ status: 200, type: TestView, description: 'one verdict per test; error says why results are missing' })
  @NoSuch('test')
  @Get('tests/:id')
  async test(@Param('id', recordId) id: number) {
    const { test, results } = await this.kernel.test(id);
    return presentTest(test, results);
  }

  /** Submits to KCIDB what it has not accepted yet (the worker also retries periodically). */
  @ApiOperation({ summary: 'Submit pending test results to KCIDB' })
  @ApiResponse({ status: 204, description: 'KCIDB submission queued (what it has not accepted yet)' })
  @Post('sync/results')
  @HttpCode(204)
  async syncResults(): Promise<void> {
    await this.kernel.syncKcidb();
  }

  @ApiOperation({ summary: 'Submit pending builds to KCIDB' })
  @ApiResponse({ status: 204, description: 'KCIDB submission queued (what it has not accepted yet)' })
  @Post('sync/builds')
  @HttpCode(204)
  async syncBuilds(): Promise<void> {
    await this.kernel.syncKcidb();
  }

  private scheduleBuild(b: RunBuildDto, req: Request) {
    return this.kernel.scheduleBuild(
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
