import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { RunyardConfig } from './runyard-config';

const SHIPPED = join('scripts', 'demo', 'autosubmit');

/** `autosubmit` as the runs would find it on PATH. */
export function autosubmitOnPath(path = process.env.PATH ?? ''): boolean {
  return path
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, 'autosubmit'), constants.X_OK);
        return statSync(join(dir, 'autosubmit')).isFile();
      } catch {
        return false;
      }
    });
}

/** Every directory from `dir` up lets other accounts through. */
const enterable = (dir: string): boolean => (statSync(dir).mode & 0o001) !== 0 && (dir === dirname(dir) || enterable(dirname(dir)));

/**
 * The demo's stand-in for Autosubmit (scripts/demo/autosubmit, shipped beside the build), where runs
 * can execute it: they run as accounts of their own when Runyard is root, so a checkout under a private
 * directory (/root) is copied out to a directory of its own. Null when this installation lacks it.
 */
export function demoStandIn(): string | null {
  let shipped: string | null = null;
  for (let dir = __dirname; dir !== dirname(dir) && !shipped; dir = dirname(dir)) {
    if (existsSync(join(dir, SHIPPED))) shipped = join(dir, SHIPPED);
  }
  if (!shipped) return null;
  if (process.getuid?.() !== 0 || enterable(dirname(shipped))) return shipped;
  const copy = join(mkdtempSync(join(tmpdir(), 'runyard-demo-')), 'autosubmit');
  chmodSync(dirname(copy), 0o755);
  copyFileSync(shipped, copy);
  chmodSync(copy, 0o755);
  return copy;
}

/**
 * The demo configuration as `npm start` uses it: its LOCAL profile runs the `autosubmit` on PATH, or,
 * without one, the stand-in, so the quick start's first run completes and its log says what to install.
 * Answers the configuration and a line for the server's log.
 */
export function withDemoStandIn(demo: RunyardConfig): { config: RunyardConfig; note: string } {
  const intro = 'no runyard.yaml: using the demo configuration (profile LOCAL)';
  if (autosubmitOnPath()) return { config: demo, note: `${intro}, with the autosubmit found on PATH` };
  const standIn = demoStandIn();
  if (!standIn) return { config: demo, note: `${intro}; autosubmit is not on PATH: install it (pip install autosubmit)` };
  const profiles = { ...demo.profiles, LOCAL: { ...demo.profiles.LOCAL, AUTOSUBMIT_EXECUTABLE: standIn } };
  return {
    config: { ...demo, profiles },
    note:
      `${intro}; autosubmit is not on PATH, so LOCAL runs a stand-in (${standIn}) that only prints what Autosubmit ` +
      `would do: install Autosubmit (pip install autosubmit) and start again to run experiments for real`,
  };
}
