import { execFileSync } from 'node:child_process';
import { shellJoin, shellQuote } from './shell-quote';

describe('shellQuote', () => {
  const echoBack = (args: string[]) =>
    JSON.parse(
      execFileSync('/bin/sh', ['-c', `node -e 'console.log(JSON.stringify(process.argv.slice(1)))' ${shellJoin(args)}`], {
        encoding: 'utf8',
      }),
    );

  it('hands every element to the command as one literal argument, metacharacters and all', () => {
    const nasty = [`a'b`, `'; touch /tmp/runyard-canary-q; '`, '$(id)', '`id`', 'a b\nc', '"x"', '\\', '*', '', '-n', "''"];
    expect(echoBack(nasty)).toEqual(nasty);
  });

  it('refuses a NUL byte, which no argv can carry', () => {
    expect(() => shellQuote('a\0b')).toThrow('NUL');
  });
});
