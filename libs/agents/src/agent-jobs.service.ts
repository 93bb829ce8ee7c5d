import { Injectable } from '@nestjs/common';
import type { FinishReport, JobState, OutputAnswer, OutputChunk, StartedReport } from '@runyard/agent-protocol';
import { Environment } from '@runyard/config';
import { BadInputError, ForbiddenError, NotFoundError, RunsRepository, UnauthorizedError } from '@runyard/runs';
import { MAX_RESULT_FILE_BYTES } from '@runyard/scripts';
import { AgentRouteError, GoneError } from './agent-errors';
import { matchesHash } from './agent-secrets';
import { Assignment, AgentsRepository } from './agents.repository';
import { OutputCarry } from './output-carry';

const UNDER_WAY = ['assigned', 'accepted', 'running'];

/** A run's side of the agent protocol, authenticated by the run's job token: taking it, its output, its end. */
@Injectable()
export class AgentJobsService {
  private readonly carry = new OutputCarry();

  constructor(
    private readonly repo: AgentsRepository,
    private readonly runs: RunsRepository,
    private readonly env: Environment,
  ) {}

  /** The run the token is for, while it is under way (or, for `finish` repeated, finished). */
  async authenticate(runId: number, token: string | null, finishedToo = false): Promise<Assignment> {
    const a = token ? await this.repo.assignment(runId) : null;
    if (!a || !token || !matchesHash(token, a.jobTokenSha256)) throw new UnauthorizedError(`run ${runId}: bad job token`);
    if (a.agentDisabled) throw new ForbiddenError(`agent ${a.agentId} is disabled: its job tokens no longer work`);
    if (!UNDER_WAY.includes(a.state) && !(finishedToo && a.state === 'finished')) {
      throw new GoneError(`run ${runId} is ${a.state}: its job token no longer works`);
    }
    return a;
  }

  async state(a: Assignment): Promise<JobState> {
    const run = await this.runs.byId(a.runId);
    if (!run) throw new NotFoundError(`run ${a.runId} does not exist`);
    return { state: a.state, offsets: run.outputOffsets };
  }

  /** The agent takes the run; too late (the worker gave up waiting) answers 409 and the agent leaves it. */
  async accept(a: Assignment): Promise<void> {
    if (a.state === 'accepted' || a.state === 'running') return;
    if (!(await this.repo.moveFromAssigned(a.runId, 'accepted'))) throw new AgentRouteError(409, `run ${a.runId} was taken back`);
  }

  async decline(a: Assignment): Promise<void> {
    await this.repo.moveFromAssigned(a.runId, 'withdrawn');
  }

  async started(a: Assignment, r: StartedReport): Promise<void> {
    if (a.state === 'running') return;
    if (a.state !== 'accepted' || !(await this.repo.markRunning(a.runId, { pid: r.pid, runDir: r.run_dir }))) {
      throw new AgentRouteError(409, `run ${a.runId} was not accepted`);
    }
  }

  /** Appended only where the stored stream ends: a chunk sent again is not stored twice; the answer says where to go on. */
  async output(a: Assignment, chunk: OutputChunk): Promise<OutputAnswer> {
    if (a.state === 'assigned') throw new AgentRouteError(409, `run ${a.runId} was not accepted`);
    const data = Buffer.from(chunk.data, 'base64');
    // Tokens Runyard issued never reach the stored log, even printed across two chunks.
    const masked = this.carry.prepare(a.runId, chunk.stream, chunk.offset, data);
    const answer = await this.runs.appendOutputAt(a.runId, chunk.stream, chunk.offset, data, this.env.RUN_LOG_CAP_BYTES, masked.stored);
    if (!answer) throw new NotFoundError(`run ${a.runId} does not exist`);
    if (answer.appended) masked.kept();
    return answer;
  }

  /** Idempotent; refused (409, with what is stored) until every byte of output it reports is stored. */
  async finish(a: Assignment, r: FinishReport): Promise<void> {
    if (a.state === 'finished') return;
    const run = await this.runs.byId(a.runId);
    if (!run) throw new NotFoundError(`run ${a.runId} does not exist`);
    const stored = run.outputOffsets;
    if ((stored.stdout ?? 0) < r.sizes.stdout || (stored.stderr ?? 0) < r.sizes.stderr) {
      throw new AgentRouteError(409, `run ${a.runId}: its output is not all stored yet`, { offsets: stored });
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.carry.release(a.runId, stream);
      if (rest) await this.runs.appendOutputAt(a.runId, stream, stored[stream] ?? 0, Buffer.alloc(0), this.env.RUN_LOG_CAP_BYTES, rest);
    }
    if (r.vanished) {
      await this.repo.markLost(a.runId);
      return;
    }
    const resultFile = r.result_file === undefined ? null : Buffer.from(r.result_file, 'base64');
    if (resultFile && resultFile.length > MAX_RESULT_FILE_BYTES + 1) throw new BadInputError('result_file is too large');
    await this.repo.finishAssignment(a.runId, {
      exitCode: r.exit_code ?? null,
      signal: r.signal ?? null,
      error: r.error ?? null,
      resultFile,
    });
  }
}
