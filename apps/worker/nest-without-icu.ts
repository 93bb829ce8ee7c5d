/**
 * @nestjs/common builds an Intl.DateTimeFormat as it loads, for the timestamps of its ConsoleLogger, which a
 * worker never prints (RunyardLogger writes its log). Being the process's first use of ICU, that maps ~6 MiB
 * of locale and time-zone data into every idle worker. Loaded here, Nest gets a formatter that is built on its
 * first use and formats the same then; Intl itself is left as it was.
 */
const DateTimeFormat = Intl.DateTimeFormat;

function builtOnFirstUse(...args: ConstructorParameters<typeof DateTimeFormat>): Intl.DateTimeFormat {
  let formatter: Intl.DateTimeFormat | undefined;
  return new Proxy({} as Intl.DateTimeFormat, {
    get: (_, key) => {
      formatter ??= new DateTimeFormat(...args);
      const value: unknown = Reflect.get(formatter, key, formatter);
      return typeof value === 'function' ? value.bind(formatter) : value;
    },
  });
}

Intl.DateTimeFormat = builtOnFirstUse as unknown as typeof DateTimeFormat;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, before anything imports it
  require('@nestjs/common');
} finally {
  Intl.DateTimeFormat = DateTimeFormat;
}
