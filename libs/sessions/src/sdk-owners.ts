import { ForbiddenError } from '@runyard/runs';

/** Who asks to change an SDK resource: the API token's name (what `created_by` records) and whether it is an admin's. */
export interface Requester {
  name: string;
  admin: boolean;
}

/** Runyard itself (the reaper cleaning up after a client that vanished): may change anything. */
export const RUNYARD: Requester = { name: 'Runyard', admin: true };

/**
 * Applications, sessions and objects are changed (closed, renewed, deleted, called) only by the
 * token that created them, or by an admin; viewers only read (the auth guard sees to that).
 */
export function checkOwner(who: Requester, resource: { createdBy: string | null }, what: string, action: string): void {
  if (who.admin || resource.createdBy === who.name) return;
  throw new ForbiddenError(
    `${what} belongs to ${resource.createdBy ?? 'another token'}: only its owner or an admin may ${action} (this token is ${who.name})`,
  );
}
