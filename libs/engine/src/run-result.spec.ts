import { runResult } from './run-result';

const sources = (stdout: string, file: string | null = null) => ({
  stdout: async () => stdout,
  output: async () => stdout,
  resultFile: async () => (file === null ? null : Buffer.from(file)),
});

describe("a finished run's result", () => {
  it("is a script's return value and logs, whatever its exit", async () => {
    expect(await runResult('script', 'FAILED', sources('__SCRIPTRETURN__{"ok":false}\n'))).toEqual({
      return_data: { ok: false },
      logs: [],
      notifications: [],
    });
    expect(await runResult('script', 'COMPLETED', sources('', '[1,2]'))).toMatchObject({ return_data: [1, 2] });
  });

  it("is a completed command's parsed output, and nothing for the others", async () => {
    expect(await runResult('version', 'COMPLETED', sources('4.1.16\n'))).toEqual({ version: '4.1.16' });
    expect(await runResult('version', 'FAILED', sources('4.1.16\n'))).toBeNull();
    expect(await runResult('run', 'COMPLETED', sources('__SCRIPTRETURN__1\n', '2'))).toBeNull();
  });
});
