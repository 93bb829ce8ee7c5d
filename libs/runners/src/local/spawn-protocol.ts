import type { AccountRequest } from './run-account';

/** What the worker asks of its spawn helper, and what it answers (Node IPC, advanced serialization). */
export type SpawnRequest =
  | {
      op: 'launch';
      id: number;
      dir: string;
      /** The wrapper's argv: `/bin/sh -c WRAPPER NAME DIR COMMAND…`. */
      argv: string[];
      env: Record<string, string>;
      stdin?: string;
      files: { name: string; data: Buffer; mode: number }[];
      /** Whose processes the run's are; null: this helper's own account (Runyard's, not root). */
      account: AccountRequest | null;
    }
  | { op: 'release'; id: number; dir: string };

export type SpawnReply =
  | { op: 'launched'; id: number; pid: number }
  | { op: 'done'; id: number }
  | { op: 'failed'; id: number; message: string }
  | { op: 'exit'; pid: number; code: number | null; signal: string | null };
