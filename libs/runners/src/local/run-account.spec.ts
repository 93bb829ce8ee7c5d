import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asAccount, claimUid, parseUidRange, releaseUid, UID_LOCKS } from './run-account';
import { runIsolation } from './run-isolation';

describe('uids of their own for runs', () => {
  const root = mkdtempSync(join(tmpdir(), 'run-account-'));
  const locks = join(root, '.uids');
  const run = (id: number) => {
    const dir = join(root, String(id));
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('gives each live run its own uid of the range, the same one again to the same run, and says when the range is full', () => {
    const range: [number, number] = [70000, 70002];
    const a = claimUid(run(1), range, locks);
    const b = claimUid(run(4), range, locks); // 4 maps onto 1's uid: the next free one is taken
    const c = claimUid(run(7), range, locks);
    expect(new Set([a.uid, b.uid, c.uid]).size).toBe(3);
    expect([a, b, c].every((x) => x.uid >= 70000 && x.uid <= 70002 && x.gid === x.uid && !x.named)).toBe(true);
    expect(a.home).toBe(join(root, '1'));
    expect(claimUid(join(root, '1'), range, locks).uid).toBe(a.uid);
    expect(() => claimUid(run(10), range, locks)).toThrow(/every uid of RUN_UID_RANGE 70000-70002 is held/);
  });

  it('never gives one uid to two runs of the same id under two data directories (two workers, a worker and an agent on one host)', () => {
    const range: [number, number] = [72000, 72009];
    const other = join(root, 'other-data-dir');
    mkdirSync(join(other, '1'), { recursive: true });
    expect(claimUid(run(1), range, locks).uid).not.toBe(claimUid(join(other, '1'), range, locks).uid);
  });

  it('takes over the uid of a run whose directory is gone (it ended without its release)', () => {
    const range: [number, number] = [71000, 71000];
    const gone = run(20);
    const held = claimUid(gone, range, locks);
    rmSync(gone, { recursive: true });
    expect(claimUid(run(21), range, locks).uid).toBe(held.uid);
  });

  it('ends what each run left under its uid when several are released at once (one look through /proc), and frees the uids', async () => {
    const range: [number, number] = [74000, 74009];
    const [a, b] = [run(30), run(31)].map((dir) => ({ dir, uid: claimUid(dir, range, locks).uid }));
    const left = spawn('sleep', ['300'], { uid: a.uid, gid: a.uid, detached: true, stdio: 'ignore' });
    await new Promise((resolve) => left.once('spawn', resolve));
    const ended = new Promise((resolve) => left.once('exit', (_code, signal) => resolve(signal)));
    await Promise.all([a, b].map(({ dir, uid }) => releaseUid(dir, uid, () => rmSync(dir, { recursive: true }), locks)));
    expect(await ended).toBe('SIGKILL');
    for (const { dir, uid } of [a, b]) {
      expect(existsSync(join(locks, String(uid)))).toBe(false);
      expect(existsSync(dir)).toBe(false);
    }
  });

  it('refuses locks a run could change: a directory others may write, another account’s, a symlink, or under a directory others may replace', () => {
    const range: [number, number] = [73000, 73009];
    const open = join(root, 'open-locks');
    mkdirSync(open, { mode: 0o700 });
    chmodSync(open, 0o777);
    const theirs = join(root, 'their-locks');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 73005, 73005);
    const linked = join(root, 'linked-locks');
    symlinkSync(locks, linked);
    const parent = join(root, 'their-parent');
    mkdirSync(parent, { mode: 0o755 });
    chownSync(parent, 73005, 73005);
    for (const bad of [open, theirs, linked, join(parent, 'uids')]) {
      expect(() => claimUid(run(30), range, bad)).toThrow(/RUN_UID_LOCKS .* (no one else may write|others may change)/);
    }
    // Under a sticky world-writable directory (/tmp) others cannot replace it: fine.
    expect(claimUid(run(30), range, join(tmpdir(), `run-account-locks-${process.pid}`)).uid).toBeGreaterThanOrEqual(73000);
    rmSync(join(tmpdir(), `run-account-locks-${process.pid}`), { recursive: true, force: true });
  });

  it('keeps the locks host-wide by default, where RUN_UID_LOCKS says otherwise (an absolute path)', () => {
    expect(runIsolation({}).uidLocks).toBe(UID_LOCKS);
    expect(runIsolation({ RUN_UID_LOCKS: '/var/lib/runyard/uids' }).uidLocks).toBe('/var/lib/runyard/uids');
    expect(() => runIsolation({ RUN_UID_LOCKS: 'uids' })).toThrow(/RUN_UID_LOCKS must be an absolute path/);
  });

  it('reads RUN_UID_RANGE strictly', () => {
    expect(parseUidRange(undefined)).toEqual([61184, 65519]);
    expect(parseUidRange('100000-100999')).toEqual([100000, 100999]);
    for (const bad of ['0-10', '65519-61184', 'abc', '500-600']) expect(() => parseUidRange(bad)).toThrow(/RUN_UID_RANGE/);
  });

  it('switches account through setpriv, with no groups and no new privileges for a uid of its own', () => {
    const own = { uid: 61200, gid: 61200, user: 'runyard-61200', home: '/r', named: false };
    expect(asAccount(own, ['/bin/sh', '-c', 'x'])).toEqual([
      'setpriv',
      '--reuid=61200',
      '--regid=61200',
      '--clear-groups',
      '--no-new-privs',
      '--',
      '/bin/sh',
      '-c',
      'x',
    ]);
    expect(asAccount({ ...own, named: true }, ['x'])).toContain('--init-groups');
    expect(asAccount(null, ['x'])).toEqual(['x']);
  });
});
