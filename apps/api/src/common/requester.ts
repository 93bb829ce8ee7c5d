import type { Request } from 'express';

/** Who asked, for the run's `requested_by` (authentication names the token here later). */
export const requesterOf = (req: Request): string => `anonymous@${req.ip ?? 'unknown'}`;
