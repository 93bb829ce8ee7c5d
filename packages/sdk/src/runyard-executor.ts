import { readFileSync } from 'node:fs';
import { ApiClient } from './api-client';
import { Executor } from './executor';

/** `node runyard-executor.js`, started by Runyard in the run directory with RUNYARD_URL and the credential file beside it. */
const url = process.env.RUNYARD_URL;
const tokenFile = process.env.RUNYARD_EXECUTOR_TOKEN_FILE ?? 'executor-token';
let token: string;
try {
  token = readFileSync(tokenFile, 'utf8').trim();
} catch {
  token = '';
}
if (!url || !token) {
  console.error('runyard executor: started without RUNYARD_URL and its credential file; Runyard starts executors itself');
  process.exit(2);
}
new Executor(new ApiClient(url, token)).main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
