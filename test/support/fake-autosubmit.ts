import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunyardUnderTest } from './runyard';

/** Tells the stand-in autosubmit how `run EXPID` behaves on this server. */
export function behave(
  rt: RunyardUnderTest,
  expid: string,
  how: { seconds?: number; exit?: number; bytes?: number; stubborn?: boolean; ticks?: boolean; leak?: string },
): void {
  const state = rt.env.FAKE_AUTOSUBMIT_STATE;
  mkdirSync(state, { recursive: true });
  if (how.seconds !== undefined) writeFileSync(join(state, `${expid}.seconds`), `${how.seconds}\n`);
  if (how.exit !== undefined) writeFileSync(join(state, `${expid}.exit`), `${how.exit}\n`);
  if (how.stubborn) writeFileSync(join(state, `${expid}.stubborn`), '');
  if (how.ticks) writeFileSync(join(state, `${expid}.ticks`), '');
  if (how.leak) writeFileSync(join(state, `${expid}.leak`), `${how.leak}\n`);
  if (how.bytes !== undefined) writeFileSync(join(state, `${expid}.bytes`), `${how.bytes}\n`);
}

/** True while a process with this pid exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8') as string;
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
