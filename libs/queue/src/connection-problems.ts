/** What the queue's clients log through: Nest's Logger in the apps, anything with warn/log in tests. */
export interface ProblemLog {
  warn(message: string): void;
  log(message: string): void;
}

const REPEAT_MS = 60_000;

/**
 * Turns a client's error per retry into one log line per problem: the first error, a reminder a
 * minute later if it persists, and one line when the connection is back.
 */
export class ConnectionProblems {
  private readonly open = new Map<string, { at: number }>();

  constructor(private readonly log: ProblemLog) {}

  report(source: string, error: Error): void {
    const message = error.message.split('\n')[0];
    const current = this.open.get(source);
    // One problem, whatever each retry says of it (a reset, then a refused connection, …).
    if (current && Date.now() - current.at < REPEAT_MS) return;
    this.open.set(source, { at: Date.now() });
    this.log.warn(`${source} unavailable: ${message}`);
  }

  recovered(source: string): void {
    if (this.open.delete(source)) this.log.log(`${source} available again`);
  }
}
