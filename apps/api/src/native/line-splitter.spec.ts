import { LineSplitter } from './line-splitter';

describe('LineSplitter', () => {
  const b = (s: string) => Buffer.from(s, 'utf8');

  it('splits a chunk into lines and keeps the partial last line until its newline arrives', () => {
    const s = new LineSplitter();
    expect(s.push('stdout', b('one\ntwo\nthr'))).toEqual([
      { stream: 'stdout', line: 'one' },
      { stream: 'stdout', line: 'two' },
    ]);
    expect(s.push('stdout', b('ee'))).toEqual([]);
    expect(s.push('stdout', b('\n'))).toEqual([{ stream: 'stdout', line: 'three' }]);
    expect(s.flush()).toEqual([]);
  });

  it('keeps each stream its own partial line', () => {
    const s = new LineSplitter();
    expect(s.push('stdout', b('half'))).toEqual([]);
    expect(s.push('stderr', b('err 1\nerr'))).toEqual([{ stream: 'stderr', line: 'err 1' }]);
    expect(s.push('stdout', b('way\n'))).toEqual([{ stream: 'stdout', line: 'halfway' }]);
    expect(s.flush()).toEqual([{ stream: 'stderr', line: 'err' }]);
  });

  it('emits empty lines, drops a CR before the newline and flushes what is left at the end', () => {
    const s = new LineSplitter();
    expect(s.push('stdout', b('\n\r\nlast'))).toEqual([
      { stream: 'stdout', line: '' },
      { stream: 'stdout', line: '' },
    ]);
    expect(s.flush()).toEqual([{ stream: 'stdout', line: 'last' }]);
    expect(s.flush()).toEqual([]);
  });

  it('keeps a multi-byte character whole when a chunk cuts it', () => {
    const bytes = b('ñandú ✓\n');
    const s = new LineSplitter();
    const lines = [...bytes].flatMap((byte) => s.push('stdout', Buffer.from([byte])));
    expect(lines).toEqual([{ stream: 'stdout', line: 'ñandú ✓' }]);
  });
});
