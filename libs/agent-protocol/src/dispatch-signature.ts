import { createHash } from 'node:crypto';

/**
 * Push dispatches from Runyard to its own agents are signed (Ed25519) instead of carrying the agent's
 * secret: a captured request cannot be replayed after the window, nor used to impersonate the agent.
 */
export const SIGNATURE_HEADERS = {
  timestamp: 'x-runyard-timestamp',
  nonce: 'x-runyard-nonce',
  signature: 'x-runyard-signature',
} as const;

/** A signed request older or newer than this (clock skew) is refused. */
export const SIGNATURE_WINDOW_MS = 60 * 1000;

/** Whom a dispatch is for: the agent's id and the endpoint it registered (as a URL normalizes it). */
export interface DispatchTarget {
  agentId: string;
  endpoint: string;
}

/**
 * What is signed: the agent and its endpoint (a dispatch for one agent is refused by another), the
 * method, the path, when, a one-time nonce and the body's digest.
 */
export function signingText(to: DispatchTarget, method: string, path: string, timestamp: string, nonce: string, body: Buffer): string {
  const digest = createHash('sha256').update(body).digest('hex');
  return ['runyard-dispatch-v2', to.agentId, new URL(to.endpoint).toString(), method.toUpperCase(), path, timestamp, nonce, digest].join(
    '\n',
  );
}
