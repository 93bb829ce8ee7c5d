import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTar, writeTar } from './tar';

describe('tar', () => {
  const long = `${'deep/'.repeat(30)}file.txt`;
  const files = [
    { path: 'main.js', mode: 0o644, data: Buffer.from('console.log(1)\n') },
    { path: 'bin/run.sh', mode: 0o755, data: Buffer.from('#!/bin/sh\n') },
    { path: long, mode: 0o644, data: Buffer.from('far down') },
    { path: `${'x'.repeat(150)}/name.txt`, mode: 0o644, data: Buffer.alloc(0) },
  ];

  it('reads back what it wrote: names (long ones too), modes, contents', () => {
    expect(readTar(writeTar(files))).toEqual(files);
  });

  it('writes archives GNU tar lists with the same names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runyard-tar-'));
    writeFileSync(join(dir, 'a.tar'), writeTar(files));
    const listed = execFileSync('tar', ['-tf', join(dir, 'a.tar')])
      .toString()
      .trim()
      .split('\n');
    expect(listed).toEqual(files.map((f) => f.path));
  });

  it("reads Python's tarfile archives (PAX), as the Python client makes them", () => {
    const dir = mkdtempSync(join(tmpdir(), 'runyard-tar-'));
    const script = `import tarfile, io
with tarfile.open(${JSON.stringify(join(dir, 'p.tar'))}, 'w', format=tarfile.PAX_FORMAT) as t:
    for name, data in [('caf\\u00e9.py', b'x = 1\\n'), (${JSON.stringify(long)}, b'far')]:
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))`;
    execFileSync('python3', ['-c', script]);
    const read = readTar(readFileSync(join(dir, 'p.tar')));
    expect(read.map((f) => [f.path, f.data.toString()])).toEqual([
      ['café.py', 'x = 1\n'],
      [long, 'far'],
    ]);
  });
});
