import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateFile } from './state-file';

describe("the agent's state file", () => {
  it('is readable by its owner only, replaced whole, the last write winning, no temporary file left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-state-'));
    const file = new StateFile<{ secret: string; n: number }>(join(dir, 'state.json'));
    expect(await file.read()).toEqual({});
    await Promise.all(Array.from({ length: 20 }, (_, n) => file.write({ secret: 'x'.repeat(n), n })));
    expect(await file.read()).toEqual({ secret: 'x'.repeat(19), n: 19 });
    expect(statSync(join(dir, 'state.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });
});
