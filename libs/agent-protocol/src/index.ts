export * from './agent-protocol';
export * from './automn-protocol';
export * from './dispatch-signature';
