#!/usr/bin/env node
import { main } from './src/cli';

/** The `runyard` command-line client (package.json `bin`). */
void main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`runyard: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
