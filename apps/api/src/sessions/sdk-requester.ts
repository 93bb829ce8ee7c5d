import type { Request } from 'express';
import { actorOf } from '@runyard/auth';
import type { Requester } from '@runyard/sessions';
import { requesterOf } from '../common/requester';

/** Who asks to change an SDK resource, for its ownership check (AUTH_MODE none: everyone is an admin). */
export const sdkRequester = (req: Request): Requester => ({ name: requesterOf(req), admin: actorOf(req)?.role === 'admin' });
