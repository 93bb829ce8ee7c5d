/** POSIX single-quote escaping: the result is one word to any Bourne-style shell, whatever `value` holds. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL byte cannot be passed to a command');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** An argv as shell text, each element one quoted word. */
export const shellJoin = (argv: readonly string[]): string => argv.map(shellQuote).join(' ');
