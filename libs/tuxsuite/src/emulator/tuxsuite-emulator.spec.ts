import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCallback } from '../callback-payload';
import { TUX_SIGNATURE_HEADER, verifyCallback } from '../callback-signature';
import { repairEscapes } from '../escape-repair';
import { parseOpenSshEcdsaKey } from '../openssh-key';
import { parseTestResults } from '../results';
import { TuxSuiteClient } from '../tuxsuite-client';
import { startTuxSuiteEmulator, TuxSuiteEmulator } from './tuxsuite-emulator';

interface Received {
  body: Buffer;
  headers: IncomingHttpHeaders;
}

/** A callback receiver that answers `answer` and keeps the raw bytes. */
async function receiver(answer = 204): Promise<{ server: Server; url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ body: Buffer.concat(chunks), headers: req.headers });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`, got };
}

describe('TuxSuite emulator', () => {
  let emu: TuxSuiteEmulator;
  let rx: Awaited<ReturnType<typeof receiver>>;
  let client: TuxSuiteClient;

  const build = (clientToken = 'b1'): Promise<string> =>
    client.submitBuild({
      clientToken,
      gitRepo: 'https://git.example/linux.git',
      gitRef: 'master',
      targetArch: 'riscv',
      toolchain: 'gcc-12',
      kconfig: ['defconfig'],
      callbackUrl: rx.url,
    });
  const verify = (r: Received, keyLine = emu.publicKeyLine()) =>
    verifyCallback(r.body, r.headers[TUX_SIGNATURE_HEADER] as string | undefined, [parseOpenSshEcdsaKey(keyLine)]);

  beforeEach(async () => {
    rx = await receiver();
    emu = await startTuxSuiteEmulator({ callbackDelayMs: 30, token: 'tok', group: 'g', project: 'p' });
    client = new TuxSuiteClient({ baseUrl: emu.url, token: 'tok', group: 'g', project: 'p', retryBaseMs: 1 });
  });
  afterEach(async () => {
    await emu.stop();
    rx.server.closeAllConnections();
    await new Promise((r) => rx.server.close(r));
  });

  it('delivers a signed build callback that verifies with publicKeyLine()', async () => {
    const uid = await build();
    const [sent] = await emu.waitForCallbacks(1);
    expect(sent).toMatchObject({ kind: 'build', uid, status: 204 });
    const v = verify(rx.got[0]);
    expect(v).toMatchObject({ ok: true, format: 'raw' });
    const cb = parseCallback(v.ok ? v.payloadText : '');
    expect(cb).toMatchObject({
      kind: 'build',
      status: { uid, state: 'finished', result: 'pass', project: 'g/p', download_url: `${emu.url}/storage/${uid}/` },
    });
    expect(rx.got[0].headers['content-type']).toBe('application/json');
  });

  it('progresses through the TuxSuite states', async () => {
    emu.set({ callbackDelayMs: 300 });
    const uid = await build();
    const seen: string[] = [];
    while (seen.at(-1) !== 'finished') {
      const { state } = await client.getBuild(uid);
      if (seen.at(-1) !== state) seen.push(state);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen).toEqual(['queued', 'provisioning', 'building', 'finished']);
  });

  it('runs a test with configured per-test results and serves results.json and logs.txt', async () => {
    emu.set({ testResults: { 'ltp-smoke': 'fail', kselftest: null } });
    const uid = await client.submitTest({
      clientToken: 't1',
      device: 'qemu-riscv64',
      kernel: 'https://k/Image',
      tests: ['ltp-smoke', 'kselftest'],
      callbackUrl: rx.url,
    });
    await emu.waitForCallbacks(1);
    const v = verify(rx.got[0]);
    const cb = parseCallback(v.ok ? v.payloadText : '');
    expect(cb).toMatchObject({
      kind: 'test',
      status: { uid, result: 'fail', results: { boot: 'pass', 'ltp-smoke': 'fail' }, tests: ['boot', 'ltp-smoke', 'kselftest'] },
    });
    const results = JSON.parse(await client.downloadText(`${cb.status.download_url}results.json`, { timeoutMs: 1000, maxBytes: 100_000 }));
    expect(parseTestResults(results, ['ltp-smoke', 'kselftest'])).toEqual([
      { test: 'ltp-smoke', result: 'FAIL' },
      { test: 'kselftest', result: 'MISS' },
    ]);
    expect(parseTestResults(results, [])).toEqual([{ test: 'boot', result: 'PASS' }]);
    expect(await client.downloadText(`${cb.status.download_url}logs.txt`, { timeoutMs: 1000, maxBytes: 100_000 })).toContain(
      'ltp-smoke: fail',
    );
  });

  it('starts a test waiting for a build once the build finished', async () => {
    const buildUid = await build();
    const testUid = await client.submitTest({
      clientToken: 't',
      device: 'qemu-riscv64',
      kernel: 'k',
      tests: [],
      callbackUrl: rx.url,
      waitingFor: `BUILD#${buildUid}`,
    });
    const sent = await emu.waitForCallbacks(2);
    expect(sent.map((s) => s.uid)).toEqual([buildUid, testUid]);
  });

  it('de-duplicates by client_token: same uid, one callback', async () => {
    const a = await build('same');
    const b = await build('same');
    expect(b).toBe(a);
    expect(emu.submissions).toHaveLength(1);
    await emu.waitForCallbacks(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(emu.callbacksSent).toHaveLength(1);
  });

  it('duplicateCallbacks sends the same signed callback twice', async () => {
    emu.set({ duplicateCallbacks: true });
    await build();
    const sent = await emu.waitForCallbacks(2);
    expect(sent[0].body).toBe(sent[1].body);
    expect(rx.got.map((r) => verify(r).ok)).toEqual([true, true]);
  });

  it('legacyFormat double-encodes the body and signs the inner text', async () => {
    emu.set({ legacyFormat: true });
    const uid = await build();
    await emu.waitForCallbacks(1);
    const raw = rx.got[0].body.toString();
    expect(raw.startsWith('"{')).toBe(true);
    const v = verify(rx.got[0]);
    expect(v).toMatchObject({ ok: true, format: 'legacy' });
    expect(parseCallback(v.ok ? v.payloadText : '').status.uid).toBe(uid);
  });

  it('badSignature sends a signature the receiver must refuse', async () => {
    emu.set({ badSignature: true });
    await build();
    await emu.waitForCallbacks(1);
    expect(verify(rx.got[0])).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it("escapeQuirk signs a build body with an invalid \\' escape that repairs after verification", async () => {
    emu.set({ escapeQuirk: true });
    await build();
    await emu.waitForCallbacks(1);
    const v = verify(rx.got[0]);
    expect(v.ok).toBe(true);
    const text = v.ok ? v.payloadText : '';
    expect(text).toContain("\\'");
    expect(() => JSON.parse(text)).toThrow();
    expect(parseCallback(repairEscapes(text)).status.git_short_log).toContain("Merge tag 'riscv-for-linus-6.7'");
  });

  it('rotateKey: callbacks use the new key and the keys endpoint answers it', async () => {
    const oldLine = await client.getKeys();
    emu.rotateKey();
    const newLine = await client.getKeys();
    expect(newLine).not.toBe(oldLine);
    expect(newLine).toBe(emu.publicKeyLine());
    await build();
    await emu.waitForCallbacks(1);
    expect(verify(rx.got[0], oldLine)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verify(rx.got[0], newLine)).toMatchObject({ ok: true });
  });

  it('records the status the receiver answered, or the delivery error', async () => {
    await client.submitTest({ clientToken: 'x', device: 'd', kernel: 'k', tests: [], callbackUrl: 'http://127.0.0.1:1/nowhere' });
    const [sent] = await emu.waitForCallbacks(1);
    expect(sent.status).toBeNull();
    expect(sent.error).toBeTruthy();
  });

  it('passes callback_headers through to the callback', async () => {
    await client.submitBuild({
      clientToken: 'h',
      gitRepo: 'r',
      gitRef: 'm',
      targetArch: 'riscv',
      toolchain: 'gcc-12',
      kconfig: [],
      callbackUrl: rx.url,
      callbackHeaders: { 'x-runyard-run': '42' },
    });
    await emu.waitForCallbacks(1);
    expect(rx.got[0].headers['x-runyard-run']).toBe('42');
  });

  it('answers 401 without the token, 400 for a malformed body, 404 for another project or an unknown uid', async () => {
    const post = (path: string, body: string, auth = 'tok') =>
      fetch(`${emu.url}${path}`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body });
    const r401 = await post('/v1/groups/g/projects/p/builds', '{}', 'Bearer tok');
    expect(r401.status).toBe(401);
    const r400 = await post('/v1/groups/g/projects/p/builds', '{not json');
    expect(r400.status).toBe(400);
    expect(await r400.json()).toEqual({ error: 'request body is not valid JSON' });
    expect((await post('/v1/groups/g/projects/p/tests', '{"kernel":"k"}')).status).toBe(400);
    expect((await post('/v1/groups/g/projects/other/builds', '{}')).status).toBe(404);
    await expect(client.getTest('2ZITcwA6wxeKxh9cZA5HBJ6FkSj')).rejects.toMatchObject({ status: 404 });
    expect((await fetch(`${emu.url}/storage/nope/results.json`)).status).toBe(404);
  });

  it('makes 27-character base62 uids', async () => {
    const uids = await Promise.all(['a', 'b', 'c'].map((t) => build(t)));
    for (const uid of uids) expect(uid).toMatch(/^[0-9A-Za-z]{27}$/);
    expect(new Set(uids).size).toBe(3);
  });
});
