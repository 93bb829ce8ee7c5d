import type { DataSourceOptions } from 'typeorm';
import { postgresClientFor } from './postgres-hosts';
import { Run } from './run.entity';
import { RunOutput } from './run-output.entity';
import { ProfileRecord } from './profile.entity';
import { InitialSchema1763900000000 } from './migrations/1763900000000-initial-schema';
import { RunDir1763950000000 } from './migrations/1763950000000-run-dir';
import { KernelCi1764000000000 } from './migrations/1764000000000-kernel-ci';
import { KernelBuild, KernelTest, KernelTestResult, RunnerCallback } from './kernel.entities';
import { ApiToken, AuditEvent } from './auth.entities';
import { Auth1764050000000 } from './migrations/1764050000000-auth';
import { Engine1765000000000 } from './migrations/1765000000000-engine';
import { RunnerSdk1765300000000 } from './migrations/1765300000000-runner-sdk';
import { SubmittedTestResults1765100000000 } from './migrations/1765100000000-submitted-test-results';
import { Agents1765200000000 } from './migrations/1765200000000-agents';
import { Schedule, ScheduleFire } from './schedule.entities';
import { Schedules1765400000000 } from './migrations/1765400000000-schedules';
import { RunPolicies1765500000000 } from './migrations/1765500000000-run-policies';
import { SdkObjectOwners1765610000000 } from './migrations/1765610000000-sdk-object-owners';
import { ScheduleOwner1765620000000 } from './migrations/1765620000000-schedule-owner';
import { SdkSessionNames1765630000000 } from './migrations/1765630000000-sdk-session-names';
import { SdkFinishedCalls1765640000000 } from './migrations/1765640000000-sdk-finished-calls';
import { RunStatusNotify1765650000000 } from './migrations/1765650000000-run-status-notify';
import { AgentPollSeq1765660000000 } from './migrations/1765660000000-agent-poll-seq';

export const ENTITIES = [
  Run,
  RunOutput,
  ProfileRecord,
  KernelBuild,
  KernelTest,
  KernelTestResult,
  RunnerCallback,
  ApiToken,
  AuditEvent,
  Schedule,
  ScheduleFire,
];
export const MIGRATIONS = [
  InitialSchema1763900000000,
  RunDir1763950000000,
  KernelCi1764000000000,
  Auth1764050000000,
  Engine1765000000000,
  SubmittedTestResults1765100000000,
  Agents1765200000000,
  RunnerSdk1765300000000,
  Schedules1765400000000,
  RunPolicies1765500000000,
  SdkObjectOwners1765610000000,
  ScheduleOwner1765620000000,
  SdkSessionNames1765630000000,
  SdkFinishedCalls1765640000000,
  RunStatusNotify1765650000000,
  AgentPollSeq1765660000000,
];

/** One definition for the app, the tests and the migration CLI: never `synchronize`. */
export function dataSourceOptions(
  url: string,
  extra: { logging?: boolean; poolSize?: number; connectTimeoutMs?: number } = {},
): DataSourceOptions {
  // The pool's connections are the failover client's when DATABASE_URL names several hosts (TypeORM passes `extra` on).
  const postgres = postgresClientFor(url);
  return {
    type: 'postgres',
    url: postgres.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: extra.logging ?? false,
    poolSize: extra.poolSize ?? 10,
    applicationName: 'runyard',
    // A Postgres that does not answer must not hold a request for long: it answers 503 within seconds.
    connectTimeoutMS: extra.connectTimeoutMs ?? 3000,
    extra: { keepAlive: true, keepAliveInitialDelayMillis: 10_000, Client: postgres.Client },
  };
}
