import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { call, eventually } from './support/http';
import { RunyardUnderTest, sharedStateDir, startRunyard } from './support/runyard';
import { pythonEnv, pythonProject, startClient } from './support/sdk-clients';

const BOOTSTRAP = 'runner-sdk-boundaries-bootstrap-secret';
/** Opens the victim's slow call: a file its executor (an account of its own) can see. */
const RELEASE = join(sharedStateDir('runyard-sdk-release-'), 'release');

/** Alice's call waits for a flag file: it is running on her executor while the attacks happen. */
const VICTIM = `import sys
from runyard import Runner, RunyardError

def slow(flag):
    import os, time
    while not os.path.exists(flag):
        time.sleep(0.05)
    return "the true result"

with Runner("victim-app") as rr:
    svc = rr.service(slow)
    future = svc(sys.argv[1])
    print(future.key, svc.session_id, flush=True)
    try:
        rr.get("mallory-app/1/" + "0" * 32)
    except RunyardError as e:
        print("refused:", e, flush=True)
    print(future.get(), flush=True)
    sys.stdin.readline()
`;

/** Mallory's own session, kept open: its executor's credential is what a hostile run of hers would find. */
const MALLORY = `import sys
from runyard import Runner

def echo(x):
    return x

with Runner("mallory-app") as rr:
    svc = rr.service(echo)
    print(svc(1).get(), svc.session_id, flush=True)
    sys.stdin.readline()
`;

/** A pickle that runs a command when loaded: what a forged result would carry. */
const EVIL_PICKLE = (path: string) => Buffer.from(`cos\nsystem\n(S'touch ${path}'\ntR.`).toString('base64');

/** The Runner SDK's boundaries, from the attacker's side: executor credentials, the exchange, and who may change what. */
describe('Runner SDK boundaries', () => {
  let rt: RunyardUnderTest;
  let db: Client;
  const tokens: Record<string, string> = {};
  let project: string;
  let alice: ReturnType<typeof startClient>;
  let mallory: ReturnType<typeof startClient>;
  /** Alice's call's result key, her session; Mallory's session and its executor's run. */
  let key: string, aliceSession: string, mallorySession: string, malloryRun: number;
  /** Mallory's executor credential, read from its run directory as a hostile run of hers would. */
  let stolen: string;
  const as = (who: string, method: string, path: string, body?: unknown) => call(rt.url, method, path, body, tokens[who]);
  const asExecutor = (credential: string, method: string, path: string, body?: unknown) => call(rt.url, method, path, body, credential);
  const firstLine = async (client: ReturnType<typeof startClient>) =>
    (await eventually(async () => /^(.*)\n/.exec(client.output())?.[1], 60_000, 'the client to print its first line')).split(' ');

  beforeAll(async () => {
    // The reaper would retire an ended executor on its next round; its rounds are far apart here, so
    // what refuses a dead run's credential is the credential check itself.
    rt = await startRunyard({
      config: '',
      env: { RUNYARD_CONFIG: '', AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: BOOTSTRAP, SESSION_REAPER_MS: '600000' },
    });
    tokens.admin = BOOTSTRAP;
    for (const [name, role] of [
      ['alice', 'operator'],
      ['mallory', 'operator'],
      ['vera', 'viewer'],
    ]) {
      const created = await as('admin', 'POST', '/api/v1/tokens', { name, role });
      expect(created.status).toBe(201);
      tokens[name] = created.body.token;
    }
    db = new Client({ connectionString: rt.databaseUrl });
    await db.connect();
    project = pythonProject({ 'victim.py': VICTIM, 'mallory.py': MALLORY }, false);
    alice = startClient('python3', ['victim.py', RELEASE], project, pythonEnv(rt.url, tokens.alice));
    mallory = startClient('python3', ['mallory.py'], project, pythonEnv(rt.url, tokens.mallory));
    [key, aliceSession] = await firstLine(alice);
    if (!/^\d+$/.test(aliceSession)) throw new Error(`Alice's client did not start its call:\n${alice.output()}`);
    [, mallorySession] = await firstLine(mallory);
    if (!/^\d+$/.test(mallorySession)) throw new Error(`Mallory's client did not start its call:\n${mallory.output()}`);
    [malloryRun] = (await as('admin', 'GET', `/api/v1/sessions/${mallorySession}`)).body.run_ids as number[];
    const runDir = (await as('admin', 'GET', `/api/v1/runs/${malloryRun}`)).body.run_dir as string;
    stolen = readFileSync(join(runDir, 'executor-token'), 'utf8').trim();
  });
  afterAll(async () => {
    for (const c of [alice, mallory]) if (c && c.exitCode === null) c.kill('SIGKILL');
    await db?.end();
    await rt?.close();
  });

  it("refuses results for another session's call from a stolen executor credential: 403, nothing stored, nothing unpickled", async () => {
    // Alice's call, running on her executor (its id is a small number: guessable).
    const victimCall = await eventually(async () => {
      const { rows } = await db.query(`SELECT id, state FROM sdk_calls WHERE result_key = $1`, [key]);
      return rows[0]?.state === 'running' ? Number(rows[0].id) : null;
    });
    const pwned = join(project, 'pwned');
    for (const result of [
      { call: victimCall, ok: true, codec: 'cloudpickle', data: EVIL_PICKLE(pwned) },
      { call: victimCall, ok: false, error: { type: 'ValueError', message: 'forged', pickled: EVIL_PICKLE(pwned) } },
    ]) {
      const forged = await asExecutor(stolen, 'POST', '/api/v1/executor/exchange', { results: [result], max: 0, wait_ms: 0 });
      expect(forged).toMatchObject({
        status: 403,
        body: { error: true, error_message: `call ${victimCall} was not handed to this executor: nothing of this exchange was stored` },
      });
    }
    const { rows } = await db.query(
      `SELECT c.state, o.state AS object_state, o.version, o.inline FROM sdk_calls c JOIN sdk_objects o ON o.key = c.result_key WHERE c.id = $1`,
      [victimCall],
    );
    expect(rows).toEqual([{ state: 'running', object_state: 'pending', version: 0, inline: null }]);
    expect((await as('alice', 'GET', `/api/v1/objects/${key}?wait_ms=0`)).status).toBe(202);
    expect(() => readFileSync(pwned)).toThrow();
  });

  it("lets an executor credential submit calls to its own session only (Flame's recursive services): Alice's result as an argument is refused", async () => {
    const aliceCalls = async () =>
      (await db.query(`SELECT count(*)::int AS n FROM sdk_calls WHERE session_id = $1`, [aliceSession])).rows[0].n;
    const before = await aliceCalls();
    const refused = await asExecutor(stolen, 'POST', '/api/v1/executor/calls', {
      calls: [{ id: 'mallory1', method: '__call__', args: 'gA==', refs: [key] }],
    });
    expect(refused).toMatchObject({
      status: 400,
      body: {
        error_message: `calls[0]: ${JSON.stringify(key)} is not an object of application mallory-app (submit the call producing it first)`,
      },
    });
    const own = await asExecutor(stolen, 'POST', '/api/v1/executor/calls', {
      calls: [{ id: 'mallory2', method: '__call__', args: 'gA==' }],
    });
    expect(own).toMatchObject({ status: 201, body: { calls: [{ key: `mallory-app/${mallorySession}/mallory2` }] } });
    expect(await aliceCalls()).toBe(before);
  });

  it("refuses every change another operator's token tries on Alice's application, session and objects, saying whose they are", async () => {
    const app = (await as('mallory', 'GET', '/api/v1/applications/victim-app')).body;
    expect(app.created_by).toBe('alice');
    const whose = (what: string, action: string) =>
      `${what} belongs to alice: only its owner or an admin may ${action} (this token is mallory)`;
    const attempts: [string, string, unknown, string][] = [
      ['POST', '/api/v1/applications/victim-app/lease', {}, whose('application victim-app', 'renew its lease')],
      [
        'POST',
        '/api/v1/applications',
        { name: 'victim-app', package_sha: app.package.sha256, runtime: 'python', reuse: true },
        whose('application victim-app', 'reuse it'),
      ],
      [
        'POST',
        '/api/v1/sessions',
        { application: 'victim-app', kind: 'function', codec: 'cloudpickle', service: 'eA==', methods: [] },
        whose('application victim-app', 'open sessions on it'),
      ],
      [
        'POST',
        `/api/v1/sessions/${aliceSession}/calls`,
        { calls: [{ id: 'f'.repeat(32), method: '__call__', args: 'eA==', refs: [] }] },
        whose(`session ${aliceSession}`, 'submit calls to it'),
      ],
      ['DELETE', '/api/v1/objects/victim-app', undefined, whose('application victim-app', 'delete its objects')],
      ['DELETE', `/api/v1/sessions/${aliceSession}`, undefined, whose(`session ${aliceSession}`, 'close it')],
      ['DELETE', '/api/v1/applications/victim-app', undefined, whose('application victim-app', 'unregister it')],
    ];
    for (const [method, path, body, message] of attempts) {
      const res = await as('mallory', method, path, body);
      expect({ method, path, status: res.status, body: res.body }).toEqual({
        method,
        path,
        status: 403,
        body: { error: true, error_message: message },
      });
    }
    const put = await fetch(`${rt.url}/api/v1/objects/victim-app/shared?codec=cloudpickle`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tokens.mallory}`, 'content-type': 'application/octet-stream' },
      body: 'bytes',
    });
    expect({ status: put.status, body: await put.json() }).toEqual({
      status: 403,
      body: { error: true, error_message: whose('application victim-app', 'put objects in it') },
    });
    expect((await as('vera', 'DELETE', `/api/v1/sessions/${aliceSession}`)).status).toBe(403);
    expect((await as('mallory', 'GET', `/api/v1/sessions/${aliceSession}`)).body).toMatchObject({ status: 'open', created_by: 'alice' });
  });

  it("never answers Mallory's wait for results with Alice's: her session's results name only her calls, and a malformed wait is refused with the error body", async () => {
    const aliceId = key.split('/')[2];
    const results = (who: string, session: string, query: string) => as(who, 'GET', `/api/v1/sessions/${session}/results?${query}`);
    // Alice's call ends; her client is still running, her session open.
    writeFileSync(RELEASE, '');
    const truth = await eventually(
      async () => {
        const answer = (await results('alice', aliceSession, `ids=${aliceId}&wait_ms=1000`)).body.results;
        return answer?.length > 0 && answer;
      },
      30_000,
      "Alice's result",
    );
    expect(truth).toEqual([expect.objectContaining({ key, state: 'ready', data: expect.any(String) })]);
    // Mallory gives a call of her own session Alice's call's id: the id names a call within a session, not across them.
    const own = await as('mallory', 'POST', `/api/v1/sessions/${mallorySession}/calls`, {
      calls: [{ id: aliceId, method: '__call__', args: 'gA==', refs: [] }],
    });
    expect(own).toMatchObject({ status: 201, body: { calls: [{ key: `mallory-app/${mallorySession}/${aliceId}` }] } });
    await eventually(
      async () => (await results('mallory', mallorySession, `ids=${aliceId}&wait_ms=1000`)).body.results?.length > 0,
      30_000,
      "Mallory's call to end",
    );
    for (const query of [`ids=${aliceId}`, `ids=${aliceId}&seqs=0-999999999999999`, 'seqs=0-999999999999999']) {
      const answer = await results('mallory', mallorySession, query);
      expect({ query, status: answer.status }).toEqual({ query, status: 200 });
      expect(answer.body.results.length).toBeGreaterThan(0);
      for (const r of answer.body.results) {
        expect({ query, key: r.key }).toEqual({ query, key: expect.stringMatching(new RegExp(`^mallory-app/${mallorySession}/`)) });
        expect(r.data).not.toBe(truth[0].data);
      }
    }
    // README: a session's results are objects, which any token reads (its calls' arguments are its owner's alone).
    expect((await results('mallory', aliceSession, `ids=${aliceId}`)).body.results).toEqual(truth);
    expect((await as('mallory', 'GET', `/api/v1/sessions/${aliceSession}/calls`)).status).toBe(403);

    const malformed = [
      `ids=${encodeURIComponent(key)}`,
      `ids=..%2F${aliceSession}%2F${aliceId}`,
      'ids=..',
      'ids=',
      'ids=a%00b',
      'ids=%E2%80%AEa',
      "ids=a'%20OR%201=1--",
      `ids=${'a'.repeat(65)}`,
      `ids=${'a'.repeat(10_000)}`,
      `ids=${Array.from({ length: 257 }, (_, i) => `c${i}`).join(',')}`,
      'ids=a,,b',
      'ids=a&ids=b',
      'ids[x]=a',
      'seqs=99999999999999999999',
      'seqs=-1',
      'seqs=1-2-3',
      'seqs=1e3',
      `seqs=${Array.from({ length: 257 }, (_, i) => i).join(',')}`,
      `ids=${aliceId}&wait_ms=-1`,
      `ids=${aliceId}&wait_ms=1e309`,
      `ids=${aliceId}&wait_ms=999999999999999999999`,
      'wait_ms=0',
    ];
    for (const query of malformed) {
      const answer = await results('mallory', mallorySession, query);
      expect({ query, status: answer.status, error: answer.body?.error, message: typeof answer.body?.error_message }).toEqual({
        query,
        status: 400,
        error: true,
        message: 'string',
      });
    }
    // Over Node's 16 KiB request line: refused before Runyard reads it, and still with the error body.
    expect(await results('mallory', mallorySession, `ids=${'a'.repeat(20_000)}`)).toMatchObject({
      status: 431,
      body: { error: true, error_message: expect.stringMatching(/over 16 KiB/) },
    });
    for (const session of ['0', '-1', '99999999999999999999', '1e3', '..%2F1']) {
      const answer = await as('mallory', 'GET', `/api/v1/sessions/${session}/results?ids=${aliceId}`);
      expect({ session, status: answer.status, error: answer.body?.error }).toEqual({ session, status: 400, error: true });
    }
    expect(await results('mallory', '2147483647', `ids=${aliceId}`)).toMatchObject({ status: 404, body: { error: true } });
  });

  it('gives Alice the true result, and her client refuses to fetch (unpickle) an object of a session that is not hers', async () => {
    writeFileSync(RELEASE, '');
    await eventually(async () => alice.output().includes('the true result\n'), 30_000, "Alice's result");
    alice.stdin!.end('\n');
    expect(await new Promise((r) => alice.once('close', r))).toBe(0);
    expect(alice.output().split('\n').slice(1)).toEqual([
      "refused: 'mallory-app/1/00000000000000000000000000000000' is not an object of this client's sessions of victim-app: it is not fetched nor unpickled",
      'the true result',
      '',
    ]);
  });

  it("refuses an executor credential once its run has ended (an admin closed Mallory's session)", async () => {
    expect((await as('admin', 'DELETE', `/api/v1/sessions/${mallorySession}`)).body).toMatchObject({ status: 'closed' });
    await eventually(async () =>
      ['COMPLETED', 'FAILED', 'LOST'].includes((await as('admin', 'GET', `/api/v1/runs/${malloryRun}`)).body.status),
    );
    expect(await asExecutor(stolen, 'GET', '/api/v1/executor/session')).toMatchObject({
      status: 401,
      body: { error_message: `this executor credential belonged to run ${malloryRun}, which has ended: it is no longer valid` },
    });
    expect((await asExecutor(stolen, 'POST', '/api/v1/executor/exchange', { results: [], max: 1, wait_ms: 0 })).status).toBe(401);
    mallory.stdin!.end('\n');
    expect(await new Promise((r) => mallory.once('close', r))).toBe(0);
  });
});
