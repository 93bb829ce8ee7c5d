import { execFile, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { LoaderError } from './loader.error';
import { DEFAULT_LOADER_SETTINGS } from './module-loader';
import { VenvLoader } from './venv.loader';

const exec = promisify(execFile);

async function fakeVenv(root: string): Promise<string> {
  await mkdir(path.join(root, 'bin'), { recursive: true });
  const executable = path.join(root, 'bin', 'autosubmit');
  await writeFile(executable, '#!/bin/sh\nprintf "[%s]\\n" "$@"\n');
  await chmod(executable, 0o755);
  return root;
}

describe('VenvLoader', () => {
  const loader = new VenvLoader();
  let dir: string;
  let safeRoot: string;
  let settings: typeof DEFAULT_LOADER_SETTINGS;

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'runyard-venv-')));
    safeRoot = path.join(dir, 'venvs');
    settings = { ...DEFAULT_LOADER_SETTINGS, safeRootPath: safeRoot };
    await fakeVenv(path.join(safeRoot, 'as4'));
    await fakeVenv(path.join(dir, 'venvs2', 'evil'));
    await fakeVenv(path.join(dir, 'outside'));
    await symlink(path.join(dir, 'outside'), path.join(safeRoot, 'escape'));
    await symlink(path.join(safeRoot, 'as4'), path.join(safeRoot, 'current'));
    await mkdir(path.join(safeRoot, 'linked-bin', 'bin'), { recursive: true });
    await symlink(path.join(dir, 'outside', 'bin', 'autosubmit'), path.join(safeRoot, 'linked-bin', 'bin', 'autosubmit'));
    await mkdir(path.join(safeRoot, 'empty'));
    await mkdir(path.join(safeRoot, 'not-executable', 'bin'), { recursive: true });
    await writeFile(path.join(safeRoot, 'not-executable', 'bin', 'autosubmit'), '#!/bin/sh\n');
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('runs the venv autosubmit with the arguments as separate elements', async () => {
    const argv = await loader.prepare(['run', 'a001; touch x'], [path.join(safeRoot, 'as4')], settings);
    expect(argv).toEqual([path.join(safeRoot, 'as4', 'bin', 'autosubmit'), 'run', 'a001; touch x']);
    const { stdout } = await exec(argv[0], argv.slice(1));
    expect(stdout).toBe('[run]\n[a001; touch x]\n');
  });

  it('resolves a symlink that stays under the safe root', async () => {
    const argv = await loader.prepare(['-v'], [path.join(safeRoot, 'current')], settings);
    expect(argv[0]).toBe(path.join(safeRoot, 'as4', 'bin', 'autosubmit'));
  });

  it('accepts the safe root itself and a real python venv', async () => {
    const venv = path.join(safeRoot, 'real');
    const created = spawnSync('python3', ['-m', 'venv', '--without-pip', venv]);
    expect(created.status).toBe(0);
    await writeFile(path.join(venv, 'bin', 'autosubmit'), `#!${venv}/bin/python3\nimport sys\nprint(sys.argv[1:])\n`);
    await chmod(path.join(venv, 'bin', 'autosubmit'), 0o755);
    const argv = await loader.prepare(['-v'], [venv], settings);
    expect((await exec(argv[0], argv.slice(1))).stdout).toBe("['-v']\n");
    const atRoot = await loader.prepare(['-v'], [venv], { ...settings, safeRootPath: venv });
    expect(atRoot[0]).toBe(path.join(venv, 'bin', 'autosubmit'));
  });

  it.each([
    ['a symlink escaping the root', 'venvs/escape', /is not under SAFE_ROOT_PATH/],
    ['an executable symlinked outside the root', 'venvs/linked-bin', /is not under SAFE_ROOT_PATH/],
    ['a sibling sharing the prefix', 'venvs2/evil', /is not under SAFE_ROOT_PATH/],
    ['a ".." path', 'venvs/../outside', /may not contain "\.\."/],
    ['a ".." path that would come back', 'venvs/../venvs/as4', /may not contain "\.\."/],
    ['a missing venv', 'venvs/missing', /does not exist/],
    ['a venv without autosubmit', 'venvs/empty', /does not exist/],
    ['a non-executable autosubmit', 'venvs/not-executable', /is not an executable file/],
  ])('refuses %s', async (_case, relative, message) => {
    await expect(loader.prepare(['-v'], [`${dir}/${relative}`], settings)).rejects.toThrow(message);
  });

  it.each([[[]], [['venvs/as4']], [['/a', '/b']], [['/x\0y']]])('refuses the modules %p', async (modules) => {
    await expect(loader.prepare(['-v'], modules, settings)).rejects.toThrow(LoaderError);
  });

  it('refuses to run without a safe root', async () => {
    const { safeRootPath: _unset, ...withoutRoot } = settings;
    await expect(loader.prepare(['-v'], [path.join(safeRoot, 'as4')], withoutRoot)).rejects.toThrow(
      'the VENV loader needs SAFE_ROOT_PATH to be configured',
    );
  });
});
