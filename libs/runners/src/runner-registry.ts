import { Runner, RunnerUnavailableError } from './runner';

/** Runners by profile RUNNER_TYPE. Adding one is a new file and one `register` line where the worker starts. */
export class RunnerRegistry {
  private readonly runners = new Map<string, Runner>();

  register(runner: Runner): this {
    if (this.runners.has(runner.type)) throw new Error(`runner ${runner.type} registered twice`);
    this.runners.set(runner.type, runner);
    return this;
  }

  get(type: string): Runner {
    const runner = this.runners.get(type);
    if (!runner) {
      throw new RunnerUnavailableError(`runner ${type} is not available (available: ${[...this.runners.keys()].join(', ')})`);
    }
    return runner;
  }
}
