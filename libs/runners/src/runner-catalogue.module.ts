import { Global, Module } from '@nestjs/common';
import { RUNNER_SCHEMAS } from '@runyard/config';
import { RUNNER_CATALOGUE } from './runner-catalogue';
import { RunnerTypes } from './runner-registry';

/** The runner types, for every role: the configuration reader, the API and the engine all read this one list. */
@Global()
@Module({
  providers: [
    { provide: RunnerTypes, useFactory: () => new RunnerTypes(RUNNER_CATALOGUE) },
    { provide: RUNNER_SCHEMAS, useValue: RUNNER_CATALOGUE },
  ],
  exports: [RunnerTypes, RUNNER_SCHEMAS],
})
export class RunnerCatalogueModule {}
