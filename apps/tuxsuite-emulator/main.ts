import { startTuxSuiteEmulator } from '@runyard/tuxsuite';
import { emulatorOptionsFromEnv } from './emulator-env';

// `npm run tuxsuite:emulator`: a local TuxSuite for demos and manual end-to-end runs.
async function main(): Promise<void> {
  const emulator = await startTuxSuiteEmulator(emulatorOptionsFromEnv(process.env));
  console.log(
    [
      `TuxSuite emulator listening on ${emulator.url}`,
      `  TUXSUITE_URL=${emulator.url}`,
      `  TUXSUITE_TOKEN=${emulator.token}`,
      `  TUXSUITE_GROUP=${emulator.group}`,
      `  TUXSUITE_PROJECT=${emulator.project}`,
      `  public key: ${emulator.publicKeyLine()}`,
    ].join('\n'),
  );
  const shutdown = (): void => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

void main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
