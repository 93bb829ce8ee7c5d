import { emulatorOptionsFromEnv } from './emulator-env';

describe('emulatorOptionsFromEnv', () => {
  it('defaults to 127.0.0.1:8081 and the emulator defaults', () => {
    expect(emulatorOptionsFromEnv({})).toEqual({ port: 8081, host: '127.0.0.1' });
  });

  it('maps the switches', () => {
    expect(
      emulatorOptionsFromEnv({
        TUXSUITE_EMULATOR_PORT: '9000',
        TUXSUITE_EMULATOR_HOST: '0.0.0.0',
        TUXSUITE_EMULATOR_TOKEN: 't',
        TUXSUITE_EMULATOR_GROUP: 'g',
        TUXSUITE_EMULATOR_PROJECT: 'p',
        TUXSUITE_EMULATOR_PUBLIC_URL: 'http://emu:9000',
        TUXSUITE_EMULATOR_CALLBACK_DELAY_MS: '1000',
        TUXSUITE_EMULATOR_FAIL_NEXT_SUBMISSIONS: '2',
        TUXSUITE_EMULATOR_DUPLICATE_CALLBACKS: '1',
        TUXSUITE_EMULATOR_LEGACY_FORMAT: 'true',
        TUXSUITE_EMULATOR_BAD_SIGNATURE: 'no',
        TUXSUITE_EMULATOR_ESCAPE_QUIRK: 'yes',
        TUXSUITE_EMULATOR_BUILD_RESULT: 'fail',
        TUXSUITE_EMULATOR_TEST_RESULTS: 'ltp-smoke=fail, kselftest=missing',
      }),
    ).toEqual({
      port: 9000,
      host: '0.0.0.0',
      token: 't',
      group: 'g',
      project: 'p',
      publicUrl: 'http://emu:9000',
      callbackDelayMs: 1000,
      failNextSubmissions: 2,
      duplicateCallbacks: true,
      legacyFormat: true,
      badSignature: false,
      escapeQuirk: true,
      buildResult: 'fail',
      testResults: { 'ltp-smoke': 'fail', kselftest: null },
    });
  });

  it('refuses malformed values with the variable name', () => {
    expect(() => emulatorOptionsFromEnv({ TUXSUITE_EMULATOR_PORT: 'http' })).toThrow(
      'TUXSUITE_EMULATOR_PORT must be a non-negative integer',
    );
    expect(() => emulatorOptionsFromEnv({ TUXSUITE_EMULATOR_BUILD_RESULT: 'ok' })).toThrow(
      'TUXSUITE_EMULATOR_BUILD_RESULT must be pass or fail',
    );
    expect(() => emulatorOptionsFromEnv({ TUXSUITE_EMULATOR_TEST_RESULTS: 'a=maybe' })).toThrow('"a=maybe" is not name=');
  });
});
