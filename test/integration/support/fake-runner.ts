import { hostname } from 'node:os';
import type {
  Attachment,
  ExitInfo,
  LaunchRef,
  OutputSource,
  OutputStream,
  Runner,
  RunnerDefinition,
  RunningProcess,
  RunRef,
} from '@runyard/runners';

interface FakeProcess {
  pid: number;
  output: Record<OutputStream, Buffer>;
  exit?: ExitInfo | null;
  exited: Promise<ExitInfo | null>;
  end(exit: ExitInfo | null): void;
}

/**
 * A machine where "processes" are driven by the test: they print and exit when told. Two runners on
 * one FakeHost are two workers on one machine (one can re-attach to what the other launched).
 */
export class FakeHost {
  readonly processes = new Map<number, FakeProcess>();
  readonly signals: { runId: number; signal: string }[] = [];
  readonly execs: string[][] = [];
  attaches = 0;
  private nextPid = 1000;
  /** Set to make `launch` throw what it answers (e.g. a RunnerBusyError). */
  refuseLaunch?: () => Error | Promise<Error>;

  start(runId: number): FakeProcess {
    let end!: (exit: ExitInfo | null) => void;
    const exited = new Promise<ExitInfo | null>((r) => (end = r));
    const p: FakeProcess = {
      pid: this.nextPid++,
      output: { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) },
      exited,
      end: (exit) => {
        if (p.exit !== undefined) return;
        p.exit = exit;
        end(exit);
      },
    };
    this.processes.set(runId, p);
    return p;
  }

  print(runId: number, text: string, stream: OutputStream = 'stdout'): void {
    const p = this.processes.get(runId)!;
    p.output[stream] = Buffer.concat([p.output[stream], Buffer.from(text)]);
  }

  exit(runId: number, code = 0): void {
    this.processes.get(runId)!.end({ code, signal: null });
  }

  /** Everything the process printed on both streams. */
  printed(runId: number): string {
    const p = this.processes.get(runId)!;
    return p.output.stdout.toString() + p.output.stderr.toString();
  }
}

export class FakeRunner implements Runner {
  constructor(
    readonly type: string,
    private readonly host: FakeHost,
    private readonly hostName = hostname(),
  ) {}

  async launch(run: LaunchRef): Promise<RunningProcess> {
    if (this.host.refuseLaunch) throw await this.host.refuseLaunch();
    const p = this.host.start(run.id);
    return { pid: p.pid, host: this.hostName, runDir: `/fake/${run.id}`, exited: p.exited };
  }

  async attach(run: RunRef): Promise<Attachment> {
    this.host.attaches++;
    const p = this.host.processes.get(run.id);
    if (!p) return { state: 'vanished' };
    if (p.exit === undefined)
      return { state: 'running', process: { pid: p.pid, host: this.hostName, runDir: `/fake/${run.id}`, exited: p.exited } };
    return p.exit ? { state: 'exited', exit: p.exit } : { state: 'vanished' };
  }

  async signal(run: RunRef, signal: NodeJS.Signals): Promise<void> {
    this.host.signals.push({ runId: run.id, signal });
    this.host.processes.get(run.id)?.end({ code: null, signal });
  }

  async exec(_run: unknown, argv: string[]): Promise<{ exit: ExitInfo; output: string }> {
    this.host.execs.push(argv);
    return { exit: { code: 0, signal: null }, output: '' };
  }

  output(run: RunRef): OutputSource {
    const host = this.host;
    return {
      pollMs: 20,
      size: async (stream) => host.processes.get(run.id)?.output[stream].length ?? 0,
      read: async (stream, offset, length) => host.processes.get(run.id)!.output[stream].subarray(offset, offset + length),
      close: async () => undefined,
    };
  }

  async release(): Promise<void> {}
}

/** A runner type of the test's making, listed like the real ones. */
export function fakeDefinition(type: string, host: FakeHost, hostBound: boolean, hostName?: string): RunnerDefinition {
  return { type, hostBound, remote: false, create: () => new FakeRunner(type, host, hostName) };
}
