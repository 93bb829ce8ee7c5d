import type { Run } from '@runyard/persistence';
import type { RunnerTypes } from '@runyard/runners';

/** A run as the native API shows it: everything but the internals (settings, offsets); its target as its runner describes it. */
export function presentRun(run: Run, runners: RunnerTypes) {
  const describe = runners.has(run.runner) ? runners.definition(run.runner).describeTarget : undefined;
  return {
    id: run.id,
    kind: run.kind,
    expid: run.expid,
    profile: run.profileName,
    runner: run.runner,
    module_loader: run.moduleLoader,
    modules: run.modules,
    argv: run.argv,
    status: run.status,
    detail: run.detail,
    exit_code: run.exitCode,
    pid: run.pid,
    host: run.host,
    target: run.settings.target && describe ? describe(run.settings.target) : null,
    run_dir: run.runDir,
    result: run.result,
    requested_by: run.requestedBy,
    /** The Runner SDK session whose executor this run is. */
    session_id: run.kind === 'session' ? Number(run.settings.env?.RUNYARD_SESSION) || null : null,
    attempts: run.attempts,
    last_error: run.lastError,
    deadline_at: run.deadlineAt,
    log_bytes: run.logBytes,
    log_truncated_bytes: run.logTruncatedBytes,
    created_at: run.createdAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    modified_at: run.modifiedAt,
  };
}
