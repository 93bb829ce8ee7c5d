import { BadInputError } from '@runyard/runs';
import { BuildRunner, TestRunner } from './kernel-runner';

/** Build and test runners by code (the bridge's AVAILABLE_RUNNERS). Adding one: a file and a `register` line in kernelci.module.ts. */
export class KernelRunnerRegistry {
  private readonly builds = new Map<string, BuildRunner>();
  private readonly tests = new Map<string, TestRunner>();

  register(runner: Partial<BuildRunner & TestRunner> & { code: string }): this {
    if (this.builds.has(runner.code) || this.tests.has(runner.code)) throw new Error(`kernel runner ${runner.code} registered twice`);
    if (runner.submitBuild) this.builds.set(runner.code, runner as BuildRunner);
    if (runner.submitTest) this.tests.set(runner.code, runner as TestRunner);
    return this;
  }

  buildRunner(code: string): BuildRunner {
    const runner = this.builds.get(code);
    if (!runner) throw new BadInputError(`runner ${JSON.stringify(code)} cannot build (available: ${[...this.builds.keys()].join(', ')})`);
    return runner;
  }

  testRunner(code: string): TestRunner {
    const runner = this.tests.get(code);
    if (!runner)
      throw new BadInputError(`runner ${JSON.stringify(code)} cannot run tests (available: ${[...this.tests.keys()].join(', ')})`);
    return runner;
  }
}
