import { Runner, RunnerContext, RunnerDefinition, RunnerUnavailableError } from './runner';

/** The runner types a process knows, by RUNNER_TYPE: what the API and the configuration ask of a type. */
export class RunnerTypes {
  private readonly byType: ReadonlyMap<string, RunnerDefinition>;

  constructor(readonly definitions: readonly RunnerDefinition[]) {
    const byType = new Map<string, RunnerDefinition>();
    for (const d of definitions) {
      if (byType.has(d.type)) throw new Error(`runner ${d.type} is listed twice in the catalogue`);
      byType.set(d.type, d);
    }
    this.byType = byType;
  }

  get names(): string[] {
    return [...this.byType.keys()];
  }

  definition(type: string): RunnerDefinition {
    const d = this.byType.get(type);
    if (!d) throw new RunnerUnavailableError(`runner ${type} is not available (available: ${this.names.join(', ')})`);
    return d;
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  /** Types whose runs only a worker on the run's own host can follow. */
  hostBound(): string[] {
    return this.definitions.filter((d) => d.hostBound).map((d) => d.type);
  }
}

/** The worker's runner strategies, one per type of the catalogue. */
export class RunnerRegistry {
  private readonly runners = new Map<string, Runner>();

  constructor(
    readonly types: RunnerTypes,
    context: RunnerContext,
  ) {
    for (const d of types.definitions) this.runners.set(d.type, d.create(context));
  }

  get(type: string): Runner {
    const runner = this.runners.get(type);
    if (!runner) throw new RunnerUnavailableError(`runner ${type} is not available (available: ${this.types.names.join(', ')})`);
    return runner;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.runners.values()].map((r) => r.close?.()));
  }
}
