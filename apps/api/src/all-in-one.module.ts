import { Module } from '@nestjs/common';
import { WorkerModule } from '../../worker/src/worker.module';
import { ApiModule } from './api.module';

/** `npm start`: API and worker in one process, for a single machine. */
@Module({ imports: [ApiModule, WorkerModule] })
export class AllInOneModule {}
