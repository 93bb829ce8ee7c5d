import { scriptCommand, ScriptInputError, scriptOf } from './script-run';

const fileText = (cmd: ReturnType<typeof scriptCommand>, name: string) =>
  Buffer.from(cmd.files.find((f) => f.name === name)!.content, 'base64').toString('utf8');

describe('a script as a command', () => {
  it('puts the code in a file and the input only in the environment, never in the argv', () => {
    const code = 'print("$(rm -rf /)")';
    const cmd = scriptCommand({ language: 'python', code, input: { who: "'; rm -rf / #" }, timeout: 5 });
    expect(cmd.program).toBe('python3');
    expect(cmd.args).toEqual(['automn_helpers.py', 'script.py']);
    expect(fileText(cmd, 'script.py')).toBe(code);
    expect(cmd.env).toEqual({ INPUT_JSON: `{"who":"'; rm -rf / #"}`, AUTOMN_INPUT_JSON: `{"who":"'; rm -rf / #"}` });
    expect(cmd.timeoutMs).toBe(5000);
    expect(JSON.stringify(cmd.args)).not.toContain('rm -rf');
  });

  it('runs Node code as an ES module when it imports, as CommonJS otherwise, with the helpers preloaded', () => {
    expect(scriptCommand({ language: 'node', code: "import fs from 'node:fs';", input: {} }).args).toEqual([
      '--require',
      './automn-helpers.cjs',
      './script.mjs',
    ]);
    expect(scriptCommand({ language: 'node', code: "const fs = require('fs');", input: {} }).args[2]).toBe('./script.cjs');
  });

  it('refuses unknown languages, oversized code or input and bad timeouts', () => {
    const bad = [
      { language: 'powershell', code: '', input: {} },
      { language: 'shell', code: 'x'.repeat(600 * 1024), input: {} },
      { language: 'shell', code: '', input: { big: 'x'.repeat(100 * 1024) } },
      { language: 'shell', code: '', input: {}, timeout: 0 },
      { language: 'shell', code: '', input: {}, timeout: 1.5 },
    ];
    for (const s of bad) expect(() => scriptCommand(s as never)).toThrow(ScriptInputError);
  });

  it('reads the script back from the settings it wrote', () => {
    const cmd = scriptCommand({ language: 'shell', code: 'echo hi', input: { a: 1 }, timeout: 3 });
    expect(scriptOf(cmd)).toEqual({ language: 'shell', code: 'echo hi', input: { a: 1 }, timeout: 3 });
    expect(scriptOf({ files: [], env: {} })).toBeNull();
  });
});
