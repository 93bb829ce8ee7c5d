import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

// The refusals the Autosubmit routes (v4 and v4alpha) share, described once.

/** The profile's ENDPOINTS, RUNNERS or MODULE_LOADERS switch the route off. */
export const DisabledInConfiguration = () =>
  ApiResponse({ status: 403, description: 'the endpoint, runner or module loader is disabled in the configuration' });

export const NothingToStop = () => ApiResponse({ status: 404, description: 'the experiment has no active run to stop' });

/** A short autosubmit command the API runs and waits for (setstatus, create, -v). */
export const CommandFailures = () =>
  applyDecorators(
    ApiResponse({ status: 502, description: 'the autosubmit command ended badly (the tail of its output)' }),
    ApiResponse({ status: 504, description: 'the autosubmit command did not end in time' }),
  );
