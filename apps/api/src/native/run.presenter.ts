import type { Run } from '@runyard/persistence';

/** A run as the native API shows it: everything but the internals (settings, offsets). */
export function presentRun(run: Run) {
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
    ssh: run.settings.ssh ? { host: run.settings.ssh.host, port: run.settings.ssh.port, user: run.settings.ssh.user } : null,
    run_dir: run.runDir,
    result: run.result,
    requested_by: run.requestedBy,
    log_bytes: run.logBytes,
    log_truncated_bytes: run.logTruncatedBytes,
    created_at: run.createdAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    modified_at: run.modifiedAt,
  };
}
