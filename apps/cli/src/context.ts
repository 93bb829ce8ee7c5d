import type { RunyardClient } from './client';
import type { Style } from './format';
import type { Spinner } from './spinner';

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

/** What every command gets: the API client, where to write, how, and whether to print raw JSON. */
export interface Context {
  client: RunyardClient;
  io: CliIo;
  style: Style;
  spinner: Spinner;
  json: boolean;
}

/** Wraps a command's handler: it gets the context and answers the exit code. */
export type Action = <A extends unknown[]>(run: (ctx: Context, ...args: A) => Promise<number>) => (...args: A) => Promise<void>;

export const printJson = (ctx: Context, value: unknown) =>
  ctx.io.stdout.write(JSON.stringify(value, null, ctx.io.stdout.isTTY ? 2 : 0) + '\n');
