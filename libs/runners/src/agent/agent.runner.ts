import type { ConfigPath, Plain, RunnerProfileSchema } from '@runyard/config';
import type {
  Attachment,
  ExitInfo,
  LaunchRef,
  OutputSource,
  Runner,
  RunnerContext,
  RunnerDefinition,
  RunningProcess,
  RunRef,
} from '../runner';

/** Where a run of an AGENT profile goes: one agent by id, or any agent whose tags include all of these. */
export interface AgentTarget {
  id?: string;
  tags: string[];
}

/**
 * What the AGENT runner needs from Runyard's agents: handing a run to one and following it there.
 * Provided under AGENT_DISPATCH by the agents library (Postgres-backed: assignments, wake-ups, push
 * dispatch); the strategy below only translates.
 */
export interface AgentDispatch {
  /** Resolves once the process started on an agent; throws RunnerBusyError when no agent can take it now. */
  launch(run: LaunchRef, target: AgentTarget): Promise<RunningProcess>;
  attach(run: RunRef): Promise<Attachment>;
  signal(run: RunRef, signal: NodeJS.Signals): Promise<void>;
  /** Executes on the agent the run executes on. */
  exec(run: RunRef, argv: string[], stdin: string | undefined, timeoutMs: number): Promise<{ exit: ExitInfo; output: string }>;
  resultFile(run: RunRef): Promise<Buffer | null>;
  release(run: RunRef): Promise<void>;
}

export const AGENT_DISPATCH = Symbol('AGENT_DISPATCH');

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const AGENT_TAG = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** The profile's `AGENT:` block as Runyard writes it. */
export interface ProfileAgent {
  ID?: string;
  TAGS?: string[];
}

function parseAgent(raw: Plain, at: ConfigPath): ProfileAgent {
  at.onlyKeys(raw, ['ID', 'TAGS'], 'unknown AGENT key (known: ID, TAGS)');
  const block: ProfileAgent = {};
  if (raw.ID !== undefined) {
    if (typeof raw.ID !== 'string' || !AGENT_ID.test(raw.ID)) at.at('ID').fail('must be an agent id (letters, digits, . _ -)');
    block.ID = raw.ID as string;
  }
  if (raw.TAGS !== undefined) {
    const tags = typeof raw.TAGS === 'string' ? raw.TAGS.split(/[\s,]+/).filter(Boolean) : raw.TAGS;
    if (!Array.isArray(tags) || tags.length > 32 || !tags.every((t) => typeof t === 'string' && AGENT_TAG.test(t))) {
      at.at('TAGS').fail('must be a list of at most 32 tags (letters, digits, . _ : -)');
    }
    block.TAGS = [...new Set(tags as string[])];
  }
  return block;
}

// Output reaches Postgres through the API, appended by the agent itself.
const DELIVERED: OutputSource = {
  pollMs: 1000,
  delivered: true,
  size: async () => 0,
  read: async () => Buffer.alloc(0),
  close: async () => undefined,
};

/** Runs on a runner agent (apps/agent) that Runyard reaches over HTTP only: no queue or database on that host. */
export class AgentRunner implements Runner {
  readonly type = 'AGENT';

  constructor(private readonly dispatch: () => AgentDispatch) {}

  async launch(run: LaunchRef, secrets?: Record<string, string>): Promise<RunningProcess> {
    // Their values exist only in the worker's environment, and an agent fetches its runs from the API.
    if (secrets && Object.keys(secrets).length > 0) throw new Error('SECRETS are not passed to runner agents');
    return this.dispatch().launch(run, (run.settings.target as AgentTarget | undefined) ?? { tags: [] });
  }

  attach(run: RunRef): Promise<Attachment> {
    return this.dispatch().attach(run);
  }

  signal(run: RunRef, signal: NodeJS.Signals): Promise<void> {
    return this.dispatch().signal(run, signal);
  }

  exec(run: RunRef, argv: string[], stdin: string | undefined, timeoutMs: number): Promise<{ exit: ExitInfo; output: string }> {
    return this.dispatch().exec(run, argv, stdin, timeoutMs);
  }

  output(): OutputSource {
    return DELIVERED;
  }

  resultFile(run: RunRef): Promise<Buffer | null> {
    return this.dispatch().resultFile(run);
  }

  release(run: RunRef): Promise<void> {
    return this.dispatch().release(run);
  }
}

const AGENT_PROFILE: Required<
  Pick<RunnerProfileSchema, 'block' | 'parseBlock' | 'target' | 'publicBlock' | 'fromExtraParams' | 'describeTarget'>
> = {
  block: 'AGENT',
  parseBlock: (raw, at) => parseAgent(raw, at) as Plain,
  target: (block): AgentTarget => {
    const a = (block ?? {}) as ProfileAgent;
    return { ...(a.ID ? { id: a.ID } : {}), tags: a.TAGS ?? [] };
  },
  publicBlock: (block) => block,
  fromExtraParams: (extra) => ({
    ...(extra.agent_id !== undefined ? { ID: extra.agent_id } : {}),
    ...(extra.agent_tags !== undefined ? { TAGS: extra.agent_tags } : {}),
  }),
  describeTarget: (target) => {
    const t = target as AgentTarget;
    return { agent: t.id ?? null, tags: t.tags };
  },
};

/** RUNNER_TYPE: AGENT — `AGENT: {ID: …}` or `AGENT: {TAGS: [gpu, linux]}`; any worker can follow the run. */
export const AGENT_RUNNER: RunnerDefinition = {
  type: 'AGENT',
  hostBound: false,
  remote: true,
  ...AGENT_PROFILE,
  create: (context: RunnerContext) => {
    let dispatch: AgentDispatch | undefined;
    return new AgentRunner(() => {
      dispatch ??= context.get<AgentDispatch>(AGENT_DISPATCH);
      if (!dispatch) throw new Error('the AGENT runner needs the agents module in this process');
      return dispatch;
    });
  },
};
