import { OutputCarry } from './output-carry';

const TOKEN = `ry_abcdef123456_${'A'.repeat(43)}`;

describe('OutputCarry', () => {
  it('masks a token cut across two chunks, the offsets moving by what the agent sent', () => {
    const carry = new OutputCarry();
    const first = Buffer.from(`token: ${TOKEN.slice(0, 20)}`);
    const second = Buffer.from(`${TOKEN.slice(20)} done\n`);
    const a = carry.prepare(1, 'stdout', 0, first);
    a.kept();
    const b = carry.prepare(1, 'stdout', first.length, second);
    b.kept();
    const stored = Buffer.concat([a.stored, b.stored, carry.release(1, 'stdout') ?? Buffer.alloc(0)]).toString();
    expect(stored).toBe('token: [MASKED] done\n');
  });

  it('a chunk that was not stored (sent again) leaves what was held back as it was', () => {
    const carry = new OutputCarry();
    const first = Buffer.from(`x ${TOKEN.slice(0, 30)}`);
    carry.prepare(2, 'stderr', 0, first).kept();
    carry.prepare(2, 'stderr', first.length, Buffer.from('unrelated')); // not kept: not stored
    const again = carry.prepare(2, 'stderr', first.length, Buffer.from(TOKEN.slice(30)));
    expect(again.stored.toString()).toBe('[MASKED]');
  });

  it('gives back at the end what it held, a cut token being no token', () => {
    const carry = new OutputCarry();
    carry.prepare(3, 'stdout', 0, Buffer.from('end ry_abc')).kept();
    expect(carry.release(3, 'stdout')?.toString()).toBe('ry_abc');
    expect(carry.release(3, 'stdout')).toBeNull();
  });
});
