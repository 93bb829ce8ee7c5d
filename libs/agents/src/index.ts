export * from './agent';
export * from './agents.repository';
export * from './agents.service';
export * from './agent-dispatch.service';
export * from './agent-dispatch.module';
