export * from './embedded-postgres';
export { PGliteMuxServer } from './pglite-mux-server';
export type { PGliteMuxServerOptions } from './pglite-mux-server';
