import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LoaderError } from './loader.error';
import { LMOD_SETUP_FAILED_EXIT_CODE, LmodLoader } from './lmod.loader';
import { DEFAULT_LOADER_SETTINGS } from './module-loader';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { env, cwd: env.HOME, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('LmodLoader', () => {
  const loader = new LmodLoader();
  const settings = DEFAULT_LOADER_SETTINGS;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'runyard-lmod-'));
    const bin = path.join(dir, 'bin');
    const modulefiles = path.join(dir, 'modulefiles');
    await mkdir(bin);
    await mkdir(path.join(modulefiles, 'autosubmit'), { recursive: true });
    await mkdir(path.join(modulefiles, 'broken'), { recursive: true });
    // A stand-in autosubmit that shows each argv element between brackets.
    await writeFile(path.join(bin, 'autosubmit'), '#!/bin/sh\nprintf "[%s]\\n" "$@"\n');
    await chmod(path.join(bin, 'autosubmit'), 0o755);
    await writeFile(path.join(modulefiles, 'autosubmit', '4.1.16.lua'), `prepend_path("PATH", "${bin}")\n`);
    await writeFile(path.join(modulefiles, 'autosubmit', '4.1.15.lua'), `prepend_path("PATH", "${bin}")\n`);
    await writeFile(path.join(modulefiles, 'broken', '1.0.lua'), 'LmodError("this modulefile always fails")\n');
    // Only the module may put autosubmit on PATH.
    env = { PATH: '/usr/bin:/bin', HOME: dir, MODULEPATH: modulefiles };
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('builds a constant script with every value as a positional parameter', async () => {
    const argv = await loader.prepare(['run', 'a001'], ['autosubmit/4.1.16'], settings);
    expect(argv.slice(0, 4)).toEqual(['bash', '--noprofile', '--norc', '-c']);
    expect(argv.slice(5)).toEqual([
      'runyard-lmod',
      '/usr/share/lmod/lmod/init/bash',
      '1',
      'autosubmit/4.1.16',
      'autosubmit',
      'run',
      'a001',
    ]);
  });

  it.each([['autosubmit'], ['autosubmit/4.1.16']])('loads %s and runs autosubmit with its arguments', async (name) => {
    const result = await run(await loader.prepare(['run', 'a001'], [name], settings), env);
    expect(result).toEqual(expect.objectContaining({ code: 0, stdout: '[run]\n[a001]\n' }));
  });

  it('passes shell text in an argument through as literal text', async () => {
    const canary = path.join(dir, 'CANARY');
    // Relative CANARY: the command runs in dir.
    const args = ['updatedescrip', 'a001', `; touch ${canary}`, '$(touch CANARY)', '`id`', 'two\nlines'];
    const result = await run(await loader.prepare(args, ['autosubmit'], settings), env);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`[updatedescrip]\n[a001]\n[; touch ${canary}]\n[$(touch CANARY)]\n[\`id\`]\n[two\nlines]\n`);
    expect(existsSync(canary)).toBe(false);
  });

  // Lmod exits 1 for the first three; for the last it exits 0 but swaps 4.1.15 out for 4.1.16.
  it.each([[['nonexistent']], [['autosubmit', 'nonexistent']], [['broken']], [['autosubmit/4.1.15', 'autosubmit/4.1.16']]])(
    'fails without running autosubmit when loading %p fails',
    async (modules) => {
      const result = await run(await loader.prepare(['run', 'a001'], modules, settings), env);
      expect(result.code).toBe(LMOD_SETUP_FAILED_EXIT_CODE);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('runyard: module load failed');
    },
  );

  it('fails clearly when the Lmod init script is missing', async () => {
    const argv = await loader.prepare(['-v'], ['autosubmit'], { ...settings, lmodInit: path.join(dir, 'no-init') });
    const result = await run(argv, env);
    expect(result.code).toBe(LMOD_SETUP_FAILED_EXIT_CODE);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Lmod could not be initialised');
  });

  it.each(['x; touch /tmp/canary', '$(id)', '`id`', '-x', '--force', 'a b', 'a\nb', 'a/../../etc', ''])(
    'refuses the module name %p',
    async (name) => {
      await expect(loader.prepare(['-v'], ['autosubmit', name], settings)).rejects.toThrow(LoaderError);
    },
  );

  it('requires at least one module', async () => {
    await expect(loader.prepare(['-v'], [], settings)).rejects.toThrow('the LMOD loader needs at least 1 module');
  });

  it('refuses option-like settings', async () => {
    await expect(loader.prepare(['-v'], ['autosubmit'], { ...settings, program: '-c' })).rejects.toThrow(LoaderError);
  });
});
