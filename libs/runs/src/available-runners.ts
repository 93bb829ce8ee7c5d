/** Runner types the workers of this build can execute (the worker registers one strategy per type). */
export const AVAILABLE_RUNNERS: readonly string[] = ['LOCAL', 'SSH'];
