import type { SdkRuntime } from '@runyard/config';

/** What `service()` was given: a function (stateless), a class (instantiated remotely) or an instance (its state shipped). */
export const SESSION_KINDS = ['function', 'class', 'instance'] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];

export type SessionStatus = 'open' | 'closed' | 'lost';
export type CallState = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';
export type ObjectState = 'pending' | 'ready' | 'failed';

/** How an object's bytes are encoded; the server never decodes them. */
export const CODECS = ['cloudpickle', 'v8', 'json'] as const;
export type Codec = (typeof CODECS)[number];

/** An error raised by user code on an executor (or by Runyard on its behalf), as the caller receives it. */
export interface RemoteErrorInfo {
  type: string;
  message: string;
  stack?: string;
  /** The exception itself, pickled (Python): the client re-raises the very type. */
  pickled?: string;
}

export interface Application {
  name: string;
  packageSha: string;
  runtime: SdkRuntime;
  profileName: string;
  workdir: string | null;
  createdBy: string;
  createdAt: Date;
  leaseExpiresAt: Date;
}

/** How the executor finds and builds the service; `serviceKey` is the object holding what the client shipped. */
export interface ServiceDescriptor {
  codec: Codec;
  methods: string[];
  serviceKey: string;
  /** Node: the module (relative to the package root) exporting the function or class, and the export's name. */
  module?: string;
  export?: string;
}

export interface Session {
  id: number;
  /** Unique within the application: the client's choice, else `{application}-{id}`. */
  name: string;
  application: string;
  kind: SessionKind;
  ordered: boolean;
  replicas: number;
  service: ServiceDescriptor;
  status: SessionStatus;
  detail: string | null;
  nextSeq: number;
  stateVersion: number;
  executorId: string | null;
  restarts: number;
  createdBy: string;
  createdAt: Date;
  closedAt: Date | null;
}

export interface Executor {
  id: string;
  sessionId: number;
  runId: number | null;
  status: 'starting' | 'ready' | 'gone';
  createdAt: Date;
}

/** An executor as its credential identifies it, with what its requests are checked against. */
export interface ExecutorIdentity {
  id: string;
  sessionId: number;
  application: string;
  ordered: boolean;
}

/** A call handed to an executor. */
export interface ClaimedCall {
  id: number;
  seq: number;
  method: string;
  args: Buffer | null;
  argsKey: string | null;
  refs: string[];
  resultKey: string;
  attempt: number;
}

export interface StoredObject {
  key: string;
  application: string;
  sessionId: number | null;
  version: number;
  state: ObjectState;
  codec: Codec | null;
  size: number | null;
  inline: Buffer | null;
  blob: string | null;
  error: RemoteErrorInfo | null;
  /** The token that created it (the session's owner for results and state). */
  createdBy: string | null;
}

/** Where an object's bytes are: in the row, or a file of the object storage. */
export type ObjectBytes = { inline: Buffer; blob?: undefined } | { blob: string; inline?: undefined };
