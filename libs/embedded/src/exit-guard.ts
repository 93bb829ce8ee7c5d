/*
 * Until the application's shutdown hooks are in place (Nest installs them only after every module
 * started), and when start-up fails, nothing else would stop the embedded server: this does, when
 * the process exits or is told to stop by a signal nobody else listens to.
 */
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * `now` runs on process exit (synchronous: it can only send signals); `gracefully` on SIGINT/SIGTERM
 * when no other listener handles it, after which the signal is raised again to end the process as it
 * would have. Answers the function that removes the guard.
 */
export function guardProcessExit(now: () => void, gracefully: () => Promise<void>): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return; // the application shuts down and calls stop()
    void gracefully().finally(() => {
      remove();
      process.kill(process.pid, signal);
    });
  };
  const remove = () => {
    process.removeListener('exit', now);
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  };
  process.on('exit', now);
  for (const s of SIGNALS) process.on(s, onSignal);
  return remove;
}
