import { SetMetadata } from '@nestjs/common';
import type { Role } from '@runyard/persistence';

export const PUBLIC_ROUTE = 'runyard:public';
export const REQUIRED_ROLE = 'runyard:role';

/** No token needed (health, signed callbacks). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The least role a route needs; without it reads need `viewer` and writes `operator`. */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);
