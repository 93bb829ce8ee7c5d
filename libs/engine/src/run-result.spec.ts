import { OutputMasker } from '@runyard/auth';
import { runResult } from './run-result';

const sources = (stdout: string, file: string | null = null) => ({
  stdout: async () => stdout,
  output: async () => stdout,
  resultFile: async () => (file === null ? null : Buffer.from(file)),
});
const none = new OutputMasker([]);

describe("a finished run's result", () => {
  it("is a script's return value and logs, whatever its exit", async () => {
    expect(await runResult('script', 'FAILED', sources('__SCRIPTRETURN__{"ok":false}\n'), none)).toEqual({
      return_data: { ok: false },
      logs: [],
      notifications: [],
    });
    expect(await runResult('script', 'COMPLETED', sources('', '[1,2]'), none)).toMatchObject({ return_data: [1, 2] });
  });

  it("is a completed command's parsed output, and nothing for the others", async () => {
    expect(await runResult('version', 'COMPLETED', sources('4.1.16\n'), none)).toEqual({ version: '4.1.16' });
    expect(await runResult('version', 'FAILED', sources('4.1.16\n'), none)).toBeNull();
    expect(await runResult('run', 'COMPLETED', sources('__SCRIPTRETURN__1\n', '2'), none)).toBeNull();
  });

  it('masks secrets and issued tokens everywhere in it: result file, keys, numbers, JSON-escaped log and notification text', async () => {
    const token = `ry_abcdefghijkl_${'x'.repeat(43)}`;
    const masker = new OutputMasker(['hunter22', '31415926']);
    const stdout = '__SCRIPTLOG__{"message":"key \\u0068unter22"}\n__SCRIPTNOTIFY__{"message":"pi 31415926","audience":"hunter22"}\n';
    const file = JSON.stringify({ secret: 'hunter22', [token]: 31415926, list: ['a-hunter22-b', 7] });
    expect(await runResult('script', 'COMPLETED', sources(stdout, file), masker)).toEqual({
      return_data: { secret: '[MASKED]', '[MASKED]': '[MASKED]', list: ['a-[MASKED]-b', 7] },
      logs: [expect.objectContaining({ message: 'key [MASKED]' })],
      notifications: [expect.objectContaining({ message: 'pi [MASKED]', audience: '[MASKED]' })],
    });
    // A result file that is not JSON: the parser's message quotes it.
    const broken = await runResult('script', 'COMPLETED', sources('', '{"a": hunter22'), masker);
    expect(JSON.stringify(broken)).not.toContain('hunter22');
  });
});
