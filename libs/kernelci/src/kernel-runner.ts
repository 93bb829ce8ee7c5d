import type { KernelBuild, KernelTest } from '@runyard/persistence';

/** A service that builds kernels asynchronously and calls back when done (the bridge's BuildRunner). */
export interface BuildRunner {
  readonly code: string;
  /** Submits the build; answers the service's id for it. Must be safe to call again for the same build (no second build). */
  submitBuild(build: KernelBuild, callbackUrl: string | undefined): Promise<string>;
}

/** A service that boots and tests kernels asynchronously (the bridge's TestRunner); a boot test is a test run with no tests. */
export interface TestRunner {
  readonly code: string;
  submitTest(test: KernelTest, callbackUrl: string | undefined): Promise<string>;
}

/** The service refused the request as such (4xx): trying again will not help. */
export class SubmissionRefusedError extends Error {}
