import fc from 'fast-check';
import { Client } from 'pg';
import { profilesYaml, RunyardUnderTest, startRunyard } from './support/runyard';

const ADMIN = 'fuzz-admin-secret';
const INT4_MAX = 2_147_483_647;
/** Requests in flight at once: enough to be quick, few enough for a machine shared with other suites. */
const CONCURRENCY = 8;
const RANDOM_RUNS = 700;

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  pattern?: string;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  $ref?: string;
};
interface Operation {
  key: string;
  method: string;
  path: string;
  pathParams: string[];
  query: { name: string; schema: Schema; required: boolean }[];
  body?: Schema;
}
interface Probe {
  op: string;
  what: string;
  method: string;
  url: string;
  body?: string;
  contentType?: string;
  token?: string | null;
}

/** Values that are valid where the field is, so that one mutated field is what a request gets wrong. */
const BASE: Record<string, unknown> = {
  expid: 'f001',
  profile_name: 'LOCAL_NO_MODULE',
  module_loader: 'no_module',
  description: 'fuzz',
  command_params: {},
  toolchain: 'gcc-12',
  tree: 'https://git.example.org/linux.git',
  branch: 'master',
  kconfig: 'defconfig',
  build_id: '17',
  kernel_image_url: 'https://storage.example.org/Image.gz',
  tests: ['ltp-smoke'],
  collection: 'ltp',
  name: 'fuzz-token',
  role: 'viewer',
  test_uid: 'fuzz-1',
  device: 'qemu-riscv64',
  runtime: 'lava',
  test_name: 'ltp-smoke',
  result: 'pass',
};
const PATH_BASE: Record<string, string> = { id: '424242', expid: 'f001', kind: 'build' };

const NUL = 'a\u0000b';
const SURROGATE = 'x\ud800y';
const DEEP = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const HOSTILE_PATH = [
  '2147483648',
  '99999999999',
  '0',
  '-1',
  '1e3',
  '0x10',
  'abc',
  '%00',
  'a%00b',
  '%E0',
  '%ED%A0%80',
  'a'.repeat(300),
  '%2F%2F',
  '..',
];
const MALFORMED = ['{', '{"a":}', '[1,]', '{"a":1}}', "{'a':1}", 'nul', '"\\x"', '{"a":"\\ud800"', '\u0000', '{"a":1,"a":'];
const WRONG_TYPES: Record<string, unknown[]> = {
  string: [123, 1.5, true, {}, [], ['x']],
  integer: ['x', true, {}, [], 1.5],
  number: ['x', true, {}, []],
  boolean: ['yes', 1, 0, {}, [], 'true'],
  array: ['x', 1, true, {}, [1], [{}]],
  object: ['x', 1, true, []],
};

/** Every operation of the published document: method, path, parameters and the body's schema. */
type DocOperation = {
  parameters?: { name: string; in: string; schema: Schema; required?: boolean }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};

function operationsOf(doc: {
  paths: Record<string, Record<string, DocOperation>>;
  components: { schemas: Record<string, Schema> };
}): Operation[] {
  const resolve = (s: Schema | undefined): Schema | undefined => (s?.$ref ? doc.components.schemas[s.$ref.split('/').pop()!] : s);
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const params = op.parameters ?? [];
      const body = resolve(op.requestBody?.content?.['application/json']?.schema);
      return {
        key: `${method} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema, required: p.required === true })),
        body: body && { ...body, properties: Object.fromEntries(Object.entries(body.properties ?? {}).map(([k, v]) => [k, resolve(v)!])) },
      };
    }),
  );
}

function baseBody(op: Operation): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const name of op.body?.required ?? []) {
    if (name === 'runner') body.runner = op.path.startsWith('/v4alpha') ? 'local' : 'tuxsuite';
    else if (name === 'tests' && op.path === '/api/v1/tests/submit') body.tests = [{ test_name: 'ltp-smoke', result: 'pass' }];
    else body[name] = BASE[name] ?? 'x';
  }
  return body;
}

const urlOf = (op: Operation, params: Record<string, string> = {}, query = '') =>
  op.path.replace(/\{(\w+)\}/g, (_m, name: string) => params[name] ?? PATH_BASE[name] ?? 'x') + query;

const queryText = (q: Record<string, string>) => (Object.keys(q).length ? `?${new URLSearchParams(q).toString()}` : '');

/** The base query of an operation: its required parameters, valid. */
function baseQuery(op: Operation): Record<string, string> {
  return Object.fromEntries(
    op.query.filter((q) => q.required).map((q) => [q.name, String(BASE[q.name] ?? (q.name === 'runner' ? 'local' : 'x'))]),
  );
}

/** Values a field cannot take: wrong types, text Postgres refuses, too long, out of range, not in the enum. */
function hostileValues(schema: Schema, required: boolean): unknown[] {
  const values: unknown[] = [NUL, SURROGATE, { k: NUL }, [SURROGATE], JSON.parse('{"__proto__":{"polluted":true}}'), { constructor: 1 }];
  if (schema.type) values.push(...(WRONG_TYPES[schema.type] ?? []));
  if (required) values.push(null);
  if (schema.maxLength) values.push('a'.repeat(schema.maxLength + 1));
  if (schema.pattern) values.push('a b;\n$(id)');
  if (schema.enum) values.push('NOT_ONE_OF_THEM');
  if (schema.type === 'integer') values.push(INT4_MAX + 1, 99_999_999_999, -1, 2 ** 63);
  if (schema.type === 'array' && schema.items?.type === 'string') values.push([NUL], Array(501).fill('x'));
  if (schema.items?.maxLength) values.push(['a'.repeat(schema.items.maxLength + 1)]);
  return values.filter(
    (v) =>
      !(
        typeof v === 'string' &&
        schema.type === 'string' &&
        !schema.pattern &&
        !schema.maxLength &&
        !schema.enum &&
        !v.includes('\u0000') &&
        !v.includes('\ud800')
      ),
  );
}

const HOSTILE_QUERY = (schema: Schema): string[] => {
  const values = ['a\u0000b'];
  if (schema.type === 'integer') values.push(String(INT4_MAX + 1), '99999999999', '-1', '0', '1.5', '1e3', 'abc', '');
  if (schema.enum) values.push('NOT_ONE_OF_THEM');
  return values;
};

/** The catalogue: every operation × malformed bodies, hostile path, query and body values. */
function catalogue(ops: Operation[], admin: string): Probe[] {
  const probes: Probe[] = [];
  for (const op of ops) {
    const add = (what: string, p: Partial<Probe>) =>
      probes.push({ op: op.key, what, method: op.method, url: urlOf(op), token: admin, ...p });
    const json = (value: unknown) => JSON.stringify(value);
    const base = baseBody(op);
    const query = queryText(baseQuery(op));
    add('no token', { token: null });
    add('a token that is not one', { token: 'ry_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' });
    add('a reserved key in the query', { url: urlOf(op, {}, '?__proto__=1&constructor=2') });
    add('NUL in an unknown query parameter', { url: urlOf(op, {}, '?zz=a%00b') });
    for (const param of op.pathParams) {
      for (const value of HOSTILE_PATH) add(`path ${param}=${value.slice(0, 20)}`, { url: urlOf(op, { [param]: value }, query) });
    }
    for (const q of op.query) {
      for (const value of HOSTILE_QUERY(q.schema)) {
        add(`query ${q.name}=${JSON.stringify(value)}`, { url: urlOf(op, {}, queryText({ ...baseQuery(op), [q.name]: value })) });
      }
      // v4alpha takes modules as a list (seed 000): repeating it is valid.
      if (q.name !== 'modules')
        add(`query ${q.name} repeated`, { url: urlOf(op, {}, `${query}${query ? '&' : '?'}${q.name}=1&${q.name}=2`) });
    }
    if (op.method === 'GET' || op.method === 'DELETE') continue;
    for (const text of MALFORMED) add(`malformed JSON ${JSON.stringify(text)}`, { url: urlOf(op, {}, query), body: text });
    add('nested 5,000 levels', { url: urlOf(op, {}, query), body: DEEP(5000) });
    add('nested 40 levels in a field', { url: urlOf(op, {}, query), body: json({ ...base, zz: JSON.parse(DEEP(40)) }) });
    add('a body over 1 MiB', { url: urlOf(op, {}, query), body: json({ ...base, zz: 'x'.repeat(1_100_000) }) });
    add('NUL in a key', { url: urlOf(op, {}, query), body: json({ ...base, ['k\u0000']: 1 }) });
    add('a lone surrogate in a key', { url: urlOf(op, {}, query), body: `{"\\udc00":1,${json(base).slice(1)}` });
    add('__proto__ at the top', { url: urlOf(op, {}, query), body: `{"__proto__":{"admin":true},${json(base).slice(1)}` });
    if (!op.body) continue;
    const properties = op.body.properties ?? {};
    const required = new Set(op.body.required ?? []);
    for (const name of required) {
      const { [name]: _dropped, ...without } = base;
      add(`without ${name}`, { url: urlOf(op, {}, query), body: json(without) });
    }
    for (const [name, schema] of Object.entries(properties)) {
      for (const value of hostileValues(schema, required.has(name))) {
        add(`${name}=${JSON.stringify(value)?.slice(0, 30)}`, { url: urlOf(op, {}, query), body: json({ ...base, [name]: value }) });
      }
    }
    for (const value of ['[]', '"x"', '1', 'true', 'null', '[{"expid":"f001"}]'])
      add(`a body of ${value}`, { url: urlOf(op, {}, query), body: value });
    add('text/plain', { url: urlOf(op, {}, query), body: json(base), contentType: 'text/plain' });
  }
  return probes;
}

/** The store, as a user would see it change: rows that a refused request must never add or alter. */
async function store(databaseUrl: string): Promise<Record<string, string>> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const tables = [
    'runs',
    'run_output',
    'kernel_builds',
    'kernel_tests',
    'kernel_test_results',
    'profiles',
    'schedules',
    'schedule_fires',
    'sdk_packages',
    'sdk_applications',
    'sdk_sessions',
    'sdk_calls',
    'sdk_objects',
  ];
  const counts = await Promise.all(tables.map(async (t) => [t, (await db.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n as string]));
  const tokens = (await db.query(`SELECT string_agg(id || ':' || coalesce(revoked_at::text, ''), ',' ORDER BY id) AS t FROM api_tokens`))
    .rows[0].t;
  await db.end();
  return { ...Object.fromEntries(counts), tokens };
}

/** A fuzz of every operation in /docs-json: no answer is a 5xx, every refusal has the error body, and nothing is stored. */
describe('fuzz of every documented operation', () => {
  let rt: RunyardUnderTest;
  const answers: { probe: Probe; status: number; body: string }[] = [];

  beforeAll(async () => {
    rt = await startRunyard({ config: profilesYaml(), env: { AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: ADMIN } });
  });
  afterAll(async () => {
    await rt?.close();
  });

  const send = async (probe: Probe) => {
    const headers: Record<string, string> = {};
    if (probe.token) headers.authorization = `Bearer ${probe.token}`;
    if (probe.body !== undefined) headers['content-type'] = probe.contentType ?? 'application/json';
    const res = await fetch(rt.url + probe.url, { method: probe.method, headers, body: probe.body, signal: AbortSignal.timeout(20_000) });
    const body = await res.text();
    answers.push({ probe, status: res.status, body });
    return res.status;
  };

  it('answers at least 2,000 hostile requests over every operation without a 5xx, each refusal with the error body and a status its operation documents', async () => {
    const doc = (await (await fetch(`${rt.url}/docs-json`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as Parameters<
      typeof operationsOf
    >[0];
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThanOrEqual(40);
    const before = await store(rt.databaseUrl);

    const probes = catalogue(ops, ADMIN);
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < probes.length) await send(probes[next++]);
      }),
    );

    // Random combinations on top: several hostile fields at once, any operation.
    const withBody = ops.filter((op) => op.body?.properties);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withBody), fc.integer({ min: 1, max: 3 }), fc.nat(), async (op, fields, pick) => {
        const entries = Object.entries(op.body!.properties!);
        const body: Record<string, unknown> = baseBody(op);
        for (let i = 0; i < fields; i++) {
          const [name, schema] = entries[(pick + i * 7) % entries.length];
          const values = hostileValues(schema, (op.body!.required ?? []).includes(name));
          body[name] = values[(pick >> 3) % values.length];
        }
        const status = await send({
          op: op.key,
          what: 'random',
          method: op.method,
          url: urlOf(op, {}, queryText(baseQuery(op))),
          body: JSON.stringify(body),
          token: ADMIN,
        });
        return status < 500;
      }),
      { numRuns: RANDOM_RUNS, seed: 20261001 },
    );

    const failures = answers
      .filter((a) => a.status >= 500)
      .map((a) => `${a.status} ${a.probe.op} (${a.probe.what}): ${a.body.slice(0, 200)}`);
    expect(failures).toEqual([]);
    // Automn's runner-host routes answer in Automn's shape ({"error": "…", "code"?}), which its stock runner shows,
    // whether their controller or the request pipeline (malformed JSON, bad paths) refused.
    // (By the path the server sees: `..` in a runner id leads elsewhere, answered as Runyard's.)
    const automnRoute = (url: string) => new URL(url, 'http://x').pathname.startsWith('/api/settings/runner-hosts/');
    const withoutErrorBody = answers
      .filter((a) => a.status >= 400)
      .filter((a) => {
        try {
          const b = JSON.parse(a.body);
          const runyards = b.error === true && typeof b.error_message === 'string' && b.error_message.length > 0;
          if (automnRoute(a.probe.url)) return !(typeof b.error === 'string' && b.error.length > 0);
          return !runyards;
        } catch {
          return true;
        }
      })
      .map((a) => `${a.status} ${a.probe.op} (${a.probe.what}): ${a.body.slice(0, 120)}`);
    expect(withoutErrorBody).toEqual([]);
    // The document lists every status an operation answered: its error answers are the route's real ones.
    const listed = new Map(
      Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => [`${method} ${path}`, Object.keys((op as { responses: object }).responses)]),
      ),
    );
    // A path with a `.` or `..` segment reaches another path (the client resolves it): not this operation's answer.
    const reached = (a: (typeof answers)[number]) => !/\/(\.|%2e){1,2}(\/|\?|$)/i.test(a.probe.url);
    const undocumented = [
      ...new Set(
        answers.filter((a) => reached(a) && !listed.get(a.probe.op)?.includes(String(a.status))).map((a) => `${a.status} ${a.probe.op}`),
      ),
    ];
    expect(undocumented).toEqual([]);
    const accepted = answers
      .filter(
        (a) =>
          a.status < 300 && (a.probe.method !== 'GET' || a.probe.op === 'get /v4alpha/runner-detail') && !a.probe.op.includes('/sync/'),
      )
      .map((a) => `${a.status} ${a.probe.op} (${a.probe.what}) ${a.probe.url}`);
    expect(accepted).toEqual([]);

    expect(await store(rt.databaseUrl)).toEqual(before);
    expect((await fetch(`${rt.url}/health/ready`)).status).toBe(200);
    expect((await fetch(`${rt.url}/api/v1/runs`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);

    const covered = new Set(answers.map((a) => a.probe.op));
    expect([...ops.map((o) => o.key)].filter((k) => !covered.has(k))).toEqual([]);
    expect(answers.length).toBeGreaterThanOrEqual(2000);
    console.log(`fuzz: ${answers.length} requests over ${covered.size} operations, ${failures.length} answers 5xx`);
  });
});
