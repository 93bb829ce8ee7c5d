import { engineDatabase, queueRun } from './support/engine';
import { maskTokenBytes } from '../../libs/auth/src/api-token';

/** Output that arrives through the API by byte offset (an agent's): stored once, whatever is retried. */
describe('appending output at an offset', () => {
  let db: Awaited<ReturnType<typeof engineDatabase>>;
  beforeAll(async () => {
    db = await engineDatabase();
  });
  afterAll(() => db?.close());

  const held = async () => {
    const run = await queueRun(db.repo, 'AGENT');
    await db.repo.claim(run.id, 'w1', 'h');
    return run.id;
  };

  it('stores a chunk sent twice once, and answers where the stream ends when the offset is not there', async () => {
    const id = await held();
    expect(await db.repo.appendOutputAt(id, 'stdout', 0, Buffer.from('hello '), 1000)).toEqual({ appended: true, offset: 6 });
    expect(await db.repo.appendOutputAt(id, 'stdout', 0, Buffer.from('hello '), 1000)).toEqual({ appended: false, offset: 6 });
    expect(await db.repo.appendOutputAt(id, 'stderr', 0, Buffer.from('oops\n'), 1000)).toEqual({ appended: true, offset: 5 });
    expect(await db.repo.appendOutputAt(id, 'stdout', 6, Buffer.from('world\n'), 1000)).toEqual({ appended: true, offset: 12 });
    expect(await db.repo.appendOutputAt(id, 'stdout', 20, Buffer.from('gap'), 1000)).toEqual({ appended: false, offset: 12 });
    expect((await db.repo.outputOf(id, 'stdout')).toString()).toBe('hello world\n');
    expect((await db.repo.byId(id))!.logBytes).toBe(17);
  });

  it('stores a chunk with its issued tokens masked, the offset moving by what was sent', async () => {
    const id = await held();
    const sent = Buffer.from(`token ry_abcdefghijkl_${'Z'.repeat(43)} ok\n`);
    expect(await db.repo.appendOutputAt(id, 'stdout', 0, sent, 1000, maskTokenBytes(sent))).toEqual({
      appended: true,
      offset: sent.length,
    });
    expect((await db.repo.outputOf(id)).toString()).toBe('token [MASKED] ok\n');
    expect((await db.repo.byId(id))!.logBytes).toBe('token [MASKED] ok\n'.length);
  });

  it('past the cap moves the offset and counts the bytes as truncated', async () => {
    const id = await held();
    await db.repo.appendOutputAt(id, 'stdout', 0, Buffer.from('0123456789'), 4);
    expect(await db.repo.appendOutputAt(id, 'stdout', 10, Buffer.from('abc'), 4)).toEqual({ appended: true, offset: 13 });
    const run = (await db.repo.byId(id))!;
    expect((await db.repo.outputOf(id)).toString()).toBe('0123');
    expect([run.logBytes, run.logTruncatedBytes, run.outputOffsets.stdout]).toEqual([4, 9, 13]);
  });

  it("adds Runyard's notes without moving the agent's offsets, and refuses output for a finished run", async () => {
    const id = await held();
    await db.repo.appendOutputAt(id, 'stdout', 0, Buffer.from('abc'), 1000);
    await db.repo.appendNotes(id, [Buffer.from('[runyard] SIGTERM sent\n')]);
    expect((await db.repo.byId(id))!.outputOffsets).toEqual({ stdout: 3, stderr: 0 });
    await db.repo.finish(id, { status: 'COMPLETED', detail: 'exit code 0', exitCode: 0 });
    expect(await db.repo.appendOutputAt(id, 'stdout', 3, Buffer.from('late'), 1000)).toEqual({ appended: false, offset: 3 });
    expect((await db.repo.outputOf(id)).toString()).toBe('abc[runyard] SIGTERM sent\n');
  });
});
