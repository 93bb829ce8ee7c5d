#!/usr/bin/env node
// `npm start`'s prestart: builds only when there is no build yet or a source changed since the last
// one (mtimes against the stamp `npm run build` leaves); `npm run build` itself always builds.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import console from 'node:console';
import process from 'node:process';

const STAMP = join('dist', '.build-stamp');
const SOURCES = ['apps', 'libs', 'packages/sdk/src', 'packages/sdk/tsconfig.json', 'package.json'];

/** The newest mtime under `path` (a file or a directory, node_modules and dist left out). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let latest = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist') continue;
    latest = Math.max(latest, newest(join(path, name)));
  }
  return latest;
}

const tsconfigs = readdirSync('.').filter((n) => /^tsconfig.*\.json$/.test(n));
const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
const changed = Math.max(...[...SOURCES, ...tsconfigs].map(newest));
if (built > 0 && changed <= built) {
  console.log('build is up to date (npm run build to rebuild anyway)');
} else {
  console.log(built === 0 ? 'no build yet: building' : 'sources changed since the last build: building');
  const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
