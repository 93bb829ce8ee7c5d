export * from "./embedded-postgres";
export { PGliteMuxServer, PGliteMuxServerOptions } from "./pglite-mux-server";
