import { Module } from '@nestjs/common';
import { EngineModule } from '@runyard/engine';
import { ApiModule } from './api.module';

/** `npm start`: API and worker in one process, for a single machine. */
@Module({ imports: [ApiModule, EngineModule] })
export class AllInOneModule {}
