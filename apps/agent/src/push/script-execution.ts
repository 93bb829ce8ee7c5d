import { StringDecoder } from 'node:string_decoder';
import type { AutomnResult, AutomnRunRequest } from '@runyard/agent-protocol';
import { isScriptLanguage, parseScriptOutput, scriptCommand, scriptResult } from '@runyard/scripts';
import type { ExitInfo } from '../../../../libs/runners/src/runner';
import { sleep } from '../agent-log';
import { LocalJobs, LocalRun } from '../local-jobs';
import type { NodePackages } from './node-packages';
import { automnExit, heldSignalLineAt } from './signal-exit';
import { scriptVariables } from './script-variables';

const TAIL_EVERY_MS = 50;
const READ_CHUNK = 256 * 1024;
/** What of a script's output the result frame repeats (Automn buffers all of it; the log frames carry everything). */
const MAX_RESULT_TEXT = 8 * 1024 * 1024;

export interface Execution {
  /** A raw chunk of output, as Automn's log frame carries it, and the stream it came from. */
  onLog(text: string, stream: 'stdout' | 'stderr'): void;
  /** Settles when whoever asked for the run is gone: the script is stopped. */
  abandoned: Promise<void>;
  graceMs: number;
  /** Where the process is, recorded while it runs so a restarted agent can stop what it left behind. */
  started(run: LocalRun): Promise<void>;
  /** The runner's own lines among the output (an npm install, "Timeout exceeded."): not in the script's output files. */
  onNote?(text: string, stream: 'stdout' | 'stderr'): void;
  /** Where Node scripts' npm packages are installed (Automn's per-script install). */
  packages?: NodePackages;
  /** Between reads of the output: where a follower that came back is caught up (its missed bytes, then live). */
  sync?(upTo: OutputOffsets, read: ReadOutput): Promise<void>;
  /** The result, while the run's files are still there: handed to whoever follows the run, or to one that comes back. */
  settle?(result: AutomnResult, upTo: OutputOffsets, read: ReadOutput): Promise<void>;
}

export type OutputOffsets = { stdout: number; stderr: number };
/** The text of bytes [from, to) of one stream of the run's output. */
export type ReadOutput = (stream: 'stdout' | 'stderr', from: number, to: number) => Promise<string>;

/**
 * Runs one script of Automn's `/api/run` under the LOCAL runner and answers Automn's result object.
 * Its wall-clock `timeout` and a client that goes away both stop it: SIGTERM to its process group,
 * SIGKILL after the grace. There is no idle timeout: a silent script runs as long as it needs.
 */
export async function executeScript(
  jobs: LocalJobs,
  localId: number,
  runId: string,
  req: AutomnRunRequest,
  io: Execution,
): Promise<AutomnResult> {
  const startedAt = Date.now();
  // Automn's `reqBody || {}`: "", 0 and false are no input either.
  const input = req.reqBody || {};
  const answer = (stderr: string, code: number, more: Partial<AutomnResult> = {}): AutomnResult => ({
    runId,
    stdout: '',
    stderr,
    code,
    duration: Date.now() - startedAt,
    returnData: null,
    automnLogs: [],
    automnNotifications: [],
    input,
    ...more,
  });
  const script = req.script ?? {};
  if (!isScriptLanguage(script.language) || typeof script.code !== 'string') return answer('Unsupported language', 1);
  const timeout = typeof script.timeout === 'number' && script.timeout > 0 ? Math.min(Math.ceil(script.timeout), 7 * 24 * 3600) : undefined;
  let command;
  try {
    command = scriptCommand({ language: script.language, code: script.code, input, timeout });
  } catch (e) {
    return answer((e as Error).message, 1);
  }
  let variables;
  try {
    variables = scriptVariables(script.variables);
  } catch (e) {
    return answer((e as Error).message, 1);
  }
  const say = (text: string, stream: 'stdout' | 'stderr') => (io.onNote ?? io.onLog)(text, stream);
  let nodePath: string | null = null;
  if (script.language === 'node' && io.packages) {
    try {
      nodePath = await io.packages.ensure(typeof script.id === 'string' && script.id ? script.id : runId, script.code, (t) =>
        say(t, 'stdout'),
      );
    } catch (e) {
      // Automn's answer to a failed install: code 90, the reason in stderr and as a system log.
      const message = (e as Error).message;
      say(`${message}\n`, 'stderr');
      return answer(message, 90, { automnLogs: [{ level: 'error', message, type: 'system' }] });
    }
  }
  // As in Automn, the runner's own variables win over the script's of the same name.
  const env = {
    ...variables,
    ...command.env,
    AUTOMN_INTERNAL_INPUT_JSON: command.env.INPUT_JSON,
    AUTOMN_RUN_ID: runId,
    ...(nodePath ? { NODE_PATH: nodePath } : {}),
  };
  let process;
  try {
    process = await jobs.start(localId, {
      loader: 'NO_MODULE',
      modules: [],
      program: command.program,
      args: command.args,
      env,
      files: command.files,
    });
  } catch (e) {
    return answer((e as Error).message, 1);
  }
  const run: LocalRun = { id: localId, pid: process.pid, runDir: process.runDir };
  await io.started(run);
  let stderr = '';
  let stopping = false;
  /** Said in stderr where the stop came (Automn's "\nTimeout exceeded."), once the shell's signal line is gone. */
  let stopNote: { at: number; text: string } | null = null;
  const stop = (note?: string) => {
    if (stopping) return;
    stopping = true;
    if (note) {
      stopNote = { at: stderr.length, text: `\n${note}` };
      say(`${note}\n`, 'stderr');
    }
    void jobs.signal(run, 'SIGTERM');
    setTimeout(() => void jobs.signal(run, 'SIGKILL'), io.graceMs).unref();
  };
  const timer = timeout ? setTimeout(() => stop('Timeout exceeded.'), timeout * 1000) : undefined;
  void io.abandoned.then(() => stop());

  const output = jobs.output(run);
  const offsets = { stdout: 0, stderr: 0 };
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  // The live log must not show the shell's "Terminated" either: a last stderr line that could be it waits for the exit.
  let heldErr = '';
  const emit = (text: string, stream: 'stdout' | 'stderr') => {
    if (stream === 'stderr') {
      const all = heldErr + text;
      const at = heldSignalLineAt(all);
      heldErr = at < 0 ? '' : all.slice(at);
      text = at < 0 ? all : all.slice(0, at);
    }
    if (text) io.onLog(text, stream);
  };
  const tail = async (final: boolean) => {
    for (const stream of ['stdout', 'stderr'] as const) {
      const size = await output.size(stream);
      while (offsets[stream] < size) {
        const data = await output.read(stream, offsets[stream], Math.min(READ_CHUNK, size - offsets[stream]));
        if (data.length === 0) break;
        offsets[stream] += data.length;
        const text = decoders[stream].write(data);
        if (stream === 'stderr' && stderr.length < MAX_RESULT_TEXT) stderr += text;
        emit(text, stream);
      }
      if (final) {
        emit(decoders[stream].end(), stream);
        // Kept only where the exit says the script wrote it (not a death by the signal it names).
        if (stream === 'stderr' && heldErr && automnExit(exit?.code ?? null, heldErr, stopping).stderr === heldErr)
          io.onLog(heldErr, stream);
      }
    }
  };
  const read: ReadOutput = async (stream, from, to) => {
    const parts: Buffer[] = [];
    for (let at = from; at < to;) {
      const data = await output.read(stream, at, Math.min(READ_CHUNK, to - at));
      if (data.length === 0) break;
      parts.push(data);
      at += data.length;
    }
    return Buffer.concat(parts).toString('utf8');
  };
  let exit: ExitInfo | null | undefined;
  void process.exited.then((e) => (exit = e));
  try {
    for (;;) {
      const ended = exit !== undefined;
      await io.sync?.(offsets, read);
      await tail(ended);
      if (ended) break;
      await Promise.race([sleep(TAIL_EVERY_MS), process.exited]);
    }
    clearTimeout(timer);
    const stdoutText = (await output.read('stdout', 0, Math.min(offsets.stdout, MAX_RESULT_TEXT))).toString('utf8');
    const parsed = parseScriptOutput(stdoutText);
    const result = scriptResult(stdoutText, await jobs.resultFile(run));
    const ended = automnExit(exit?.code ?? null, stderr, stopping);
    let errText = ended.stderr;
    const note = stopNote as { at: number; text: string } | null;
    if (note) errText = errText.slice(0, note.at) + note.text + errText.slice(note.at);
    // Automn's runner tells a return value that is not JSON in stderr (its host shows it there).
    if (parsed.returnError !== null)
      errText = errText ? `${errText}\nBad return JSON: ${parsed.returnError}` : `Bad return JSON: ${parsed.returnError}`;
    const final = answer(errText, ended.code, {
      stdout: parsed.stdout.trimEnd(),
      returnData: result.return_data,
      automnLogs: parsed.logs,
      automnNotifications: parsed.notifications,
    });
    await io.settle?.(final, offsets, read);
    return final;
  } finally {
    clearTimeout(timer);
    await output.close();
    await jobs.release(run).catch(() => undefined);
  }
}
