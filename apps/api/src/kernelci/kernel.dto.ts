import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { KERNEL_JOB_STATES, KernelBuild, KernelTest, KernelTestResult } from '@runyard/persistence';
import type { KernelJobState } from '@runyard/persistence';
import { FitsColumn } from '../common/column-rules';

const URL = /^https?:\/\/[^\s]+$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const GIT_REF = /^[A-Za-z0-9_][A-Za-z0-9._/+-]*$/;
const CONFIG = /^[A-Za-z0-9_./:+=-]+$/;

/** The bridge's build schema: kconfig or at least one fragment; runner and arch have the bridge's defaults. */
export class RunBuildDto {
  @IsOptional()
  @IsString()
  @FitsColumn(KernelBuild, 'runner')
  runner = 'tuxsuite';

  @Matches(NAME, { message: 'toolchain must be a toolchain name such as gcc-12 or clang-17' })
  @FitsColumn(KernelBuild, 'toolchain')
  toolchain: string;

  /** The git repository URL. */
  @Matches(/^(https?|git):\/\/[^\s]+$/, { message: 'tree must be a git repository URL' })
  @FitsColumn(KernelBuild, 'tree')
  tree: string;

  @Matches(GIT_REF, { message: 'branch must be a git branch, tag or commit' })
  @FitsColumn(KernelBuild, 'branch')
  branch: string;

  @ValidateIf((o: RunBuildDto) => o.kconfig !== undefined || !o.fragments || o.fragments.length === 0)
  @Matches(CONFIG, { message: 'kconfig (or at least one fragment) is required: a config name such as defconfig' })
  @FitsColumn(KernelBuild, 'kconfig')
  kconfig?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(CONFIG, { each: true, message: 'each fragment must be a config fragment name or URL' })
  @FitsColumn(KernelBuild, 'kconfig', { each: true })
  fragments: string[] = [];

  @IsOptional()
  @Matches(/^[a-z0-9_]+$/, { message: 'arch must be a kernel architecture such as riscv' })
  @FitsColumn(KernelBuild, 'arch')
  arch = 'riscv';
}

/** A boot test: a test run without tests; runner and device have the bridge's defaults. */
export class RunBootTestDto {
  @IsOptional()
  @IsString()
  @FitsColumn(KernelTest, 'runner')
  runner = 'tuxsuite';

  @Matches(/^[A-Za-z0-9:._-]+$/, { message: 'build_id must be a build id' })
  @FitsColumn(KernelTest, 'buildId')
  build_id: string;

  @Matches(URL, { message: 'kernel_image_url must be an http(s) URL' })
  @FitsColumn(KernelTest, 'kernelImageUrl')
  kernel_image_url: string;

  @IsOptional()
  @Matches(URL, { message: 'modules_url must be an http(s) URL' })
  @FitsColumn(KernelTest, 'modulesUrl')
  modules_url?: string;

  @IsOptional()
  @Matches(NAME, { message: 'device must be a device name such as qemu-riscv64' })
  @FitsColumn(KernelTest, 'device')
  device = 'qemu-riscv64';
}

/** The bridge's test schema: a boot test plus the tests to run. */
export class RunTestDto extends RunBootTestDto {
  @IsArray()
  @ArrayMaxSize(200)
  @Matches(NAME, { each: true, message: 'each test must be a test suite name such as ltp-smoke' })
  @FitsColumn(KernelTestResult, 'test', { each: true })
  tests: string[];

  @IsString()
  @FitsColumn(KernelTest, 'collection')
  collection: string;
}

export class ListKernelQuery {
  @IsOptional()
  @IsIn(KERNEL_JOB_STATES)
  state?: KernelJobState;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

/** Runyard's own scheduling path: a test run, or a boot test when it names no tests. */
export class ScheduleTestDto extends RunBootTestDto {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @Matches(NAME, { each: true, message: 'each test must be a test suite name such as ltp-smoke' })
  @FitsColumn(KernelTestResult, 'test', { each: true })
  tests: string[] = [];

  @IsOptional()
  @IsString()
  @FitsColumn(KernelTest, 'collection')
  collection?: string;
}

/** One result of tests run elsewhere (the bridge's submitted test). */
export class SubmittedTestDto {
  @Matches(NAME, { message: 'test_name must be a test name such as ltp-smoke' })
  @FitsColumn(KernelTestResult, 'test')
  test_name: string;

  @IsOptional()
  @IsString()
  @FitsColumn(KernelTest, 'collection')
  test_collection?: string;

  @Matches(/^(pass|fail|error|skip|skipped|miss|done|unknown|canceled)$/i, {
    message: 'result must be one of pass, fail, error, skip, miss, done (or TuxSuite’s unknown, canceled)',
  })
  result: string;

  /** A URL of the test's log, or the log itself. */
  @IsOptional()
  @IsString()
  logs?: string;
}

/** The bridge's POST /api/v1/tests/submit: results of tests run elsewhere, for KCIDB. */
export class SubmitTestResultsDto {
  @Matches(/^[A-Za-z0-9:._-]+$/, { message: 'test_uid must be an id (letters, digits, : . _ -)' })
  @FitsColumn(KernelTest, 'uid')
  test_uid: string;

  @Matches(/^[A-Za-z0-9:._-]+$/, { message: 'build_id must be a build id' })
  @FitsColumn(KernelTest, 'buildId')
  build_id: string;

  @Matches(NAME, { message: 'device must be a device name such as qemu-riscv64' })
  @FitsColumn(KernelTest, 'device')
  device: string;

  /** What ran the tests (the KCIDB environment), stored as the test's runner. */
  @Matches(NAME, { message: 'runtime must be a name such as lava or tuxrun' })
  @FitsColumn(KernelTest, 'runner')
  runtime: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => SubmittedTestDto)
  tests: SubmittedTestDto[];
}
