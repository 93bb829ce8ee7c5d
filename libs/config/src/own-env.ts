/**
 * Runyard's own settings and credentials (and an agent's): never handed to a command a run executes.
 * A file of its own, free of the configuration's other code, so the runner agent can load it alone.
 */
export const RUNYARD_OWN_ENV = /^(RUNYARD_|DATABASE_URL$|REDIS_URL$|TUXSUITE_|KCIDB_|AUTOMN_RUNNER_SECRET$|AUTOMN_RUNNER_RESET_TOKEN$)/;
