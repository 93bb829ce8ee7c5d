import { ApiResponse } from '@nestjs/swagger';

// The refusals many routes share, worded once for the API docs.

/** 404 for a record the path names that does not exist. */
export const NoSuch = (what: string) => ApiResponse({ status: 404, description: `no such ${what}` });

/** 403 for a Runner SDK record another token created (admins excepted). */
export const NotOwner = (what: string) => ApiResponse({ status: 403, description: `not the ${what}’s owner` });
