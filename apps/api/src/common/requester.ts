import type { Request } from 'express';
import { actorOf } from '@runyard/auth';

/** Who asked, for the run's `requested_by`: the token's name (set by the auth guard). */
export const requesterOf = (req: Request): string => actorOf(req)?.name ?? `anonymous@${req.ip ?? 'unknown'}`;
