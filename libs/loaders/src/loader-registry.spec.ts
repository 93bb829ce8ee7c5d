import { getLoader } from './loader-registry';
import { LoaderError } from './loader.error';
import { DEFAULT_LOADER_SETTINGS, LOADER_TYPES } from './module-loader';

describe('getLoader', () => {
  it.each(LOADER_TYPES)('returns the %s loader', (type) => {
    expect(getLoader(type).type).toBe(type);
  });

  it.each(['lmod', 'DOCKER', ''])('refuses the unknown loader %p', (type) => {
    expect(() => getLoader(type)).toThrow(LoaderError);
    expect(() => getLoader(type)).toThrow(/unknown module loader/);
  });
});

describe('NoModuleLoader', () => {
  it('runs autosubmit from PATH and ignores modules', async () => {
    const loader = getLoader('NO_MODULE');
    expect(await loader.prepare(['run', 'a001'], ['ignored'], DEFAULT_LOADER_SETTINGS)).toEqual(['autosubmit', 'run', 'a001']);
    const custom = { ...DEFAULT_LOADER_SETTINGS, program: '/opt/as/bin/autosubmit' };
    expect(await loader.prepare(['-v'], [], custom)).toEqual(['/opt/as/bin/autosubmit', '-v']);
  });
});

describe('CondaLoader', () => {
  const loader = getLoader('CONDA');

  it('runs autosubmit through conda run in the named environment', async () => {
    expect(await loader.prepare(['run', 'a001'], ['autosubmit-4.1'], DEFAULT_LOADER_SETTINGS)).toEqual([
      'conda',
      'run',
      '--no-capture-output',
      '-n',
      'autosubmit-4.1',
      'autosubmit',
      'run',
      'a001',
    ]);
  });

  it.each([[[]], [['a', 'b']], [['-n']], [['env; id']], [['$(id)']], [['my env']], [['..']], [['a/b']]])(
    'refuses the modules %p',
    async (modules) => {
      await expect(loader.prepare(['-v'], modules, DEFAULT_LOADER_SETTINGS)).rejects.toThrow(LoaderError);
    },
  );
});
