import { CondaLoader } from './conda.loader';
import { LmodLoader } from './lmod.loader';
import { LOADER_TYPES, LoaderType, ModuleLoader } from './module-loader';
import { NoModuleLoader } from './no-module.loader';
import { LoaderError } from './loader.error';
import { VenvLoader } from './venv.loader';

const LOADERS: Readonly<Record<LoaderType, ModuleLoader>> = {
  NO_MODULE: new NoModuleLoader(),
  VENV: new VenvLoader(),
  CONDA: new CondaLoader(),
  LMOD: new LmodLoader(),
};

/** The loader of a type; the type usually comes from configuration or a request, so it is checked. */
export function getLoader(type: string): ModuleLoader {
  if (!(LOADER_TYPES as readonly string[]).includes(type)) {
    throw new LoaderError(`unknown module loader ${JSON.stringify(type)} (known: ${LOADER_TYPES.join(', ')})`);
  }
  return LOADERS[type as LoaderType];
}
