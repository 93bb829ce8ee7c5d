/**
 * node-postgres checks when it loads whether it runs in a Cloudflare Worker (pg/lib/stream.js). Node 20 has
 * no `navigator`, so pg builds a `Response`: that loads fetch's undici and compiles its WebAssembly HTTP
 * parser, ~6 MiB of a worker's idle memory it never uses. With `Response` hidden for that one synchronous
 * require, pg takes the Node sockets it takes anyway; fetch stays as it was, loaded when first used.
 */
const fetchResponse = Object.getOwnPropertyDescriptor(globalThis, 'Response');
if (fetchResponse?.configurable) {
  Object.defineProperty(globalThis, 'Response', { value: undefined, configurable: true, writable: true });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, before anything imports it
    require('pg');
  } finally {
    Object.defineProperty(globalThis, 'Response', fetchResponse);
  }
}
