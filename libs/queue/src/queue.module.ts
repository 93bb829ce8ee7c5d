import { Global, Module } from '@nestjs/common';
import { QueueConnection } from './queue-connection';
import { RunQueues } from './run-queues';

@Global()
@Module({ providers: [QueueConnection, RunQueues], exports: [QueueConnection, RunQueues] })
export class QueueModule {}
