import type { KernelBuild, KernelTest } from '@runyard/persistence';
import { TuxSuiteClient, TuxSuiteRequestError } from '@runyard/tuxsuite';
import { BuildRunner, SubmissionRefusedError, TestRunner } from './kernel-runner';

/**
 * TuxSuite builds and tests. The client token is derived from the row, so a submission retried after
 * a network error or a worker crash is recognised by TuxSuite and never creates a second build.
 */
export class TuxSuiteKernelRunner implements BuildRunner, TestRunner {
  readonly code = 'tuxsuite';

  constructor(
    private readonly client: TuxSuiteClient | null,
    private readonly installation: string,
  ) {}

  async submitBuild(build: KernelBuild, callbackUrl: string | undefined): Promise<string> {
    return this.refusing(() =>
      this.use().submitBuild({
        clientToken: `${this.installation}-build-${build.id}`,
        gitRepo: build.tree,
        gitRef: build.branch,
        targetArch: build.arch,
        toolchain: build.toolchain,
        kconfig: [...(build.kconfig ? [build.kconfig] : []), ...build.fragments],
        callbackUrl,
      }),
    );
  }

  async submitTest(test: KernelTest, callbackUrl: string | undefined): Promise<string> {
    const kernel = test.kernelImageUrl;
    if (!kernel) throw new SubmissionRefusedError('the test has no kernel image URL');
    return this.refusing(() =>
      this.use().submitTest({
        clientToken: `${this.installation}-test-${test.id}`,
        device: test.device,
        kernel,
        modules: test.modulesUrl ?? undefined,
        tests: test.tests, // empty: a boot test (TuxSuite always boots first)
        callbackUrl,
      }),
    );
  }

  private use(): TuxSuiteClient {
    if (!this.client)
      throw new SubmissionRefusedError('TuxSuite is not configured: set TUXSUITE_TOKEN, TUXSUITE_GROUP and TUXSUITE_PROJECT');
    return this.client;
  }

  private async refusing(submit: () => Promise<string>): Promise<string> {
    try {
      return await submit();
    } catch (e) {
      if (e instanceof TuxSuiteRequestError && !e.retryable) throw new SubmissionRefusedError(`TuxSuite refused it: ${e.message}`);
      throw e;
    }
  }
}
