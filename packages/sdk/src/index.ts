export { Runner } from './runner';
export type { RunnerOptions, ServiceOptions, Settled } from './runner';
export { remote } from './remote';
export { ObjectFuture, ObjectRef } from './object-future';
export type { Arg, RemoteFunction, RemoteMethods, Service, ServiceControl } from './service-types';
export {
  ApplicationExistsError,
  DependencyFailedError,
  ExecutorLostError,
  NoProfileError,
  PackageTooLargeError,
  RemoteError,
  RunyardError,
  ServiceDefinitionError,
  SessionClosedError,
  SessionLostError,
  StorageLostError,
  StorageMissingError,
} from './errors';
