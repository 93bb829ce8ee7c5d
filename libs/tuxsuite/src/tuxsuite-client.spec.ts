import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { downloadText } from './download-text';
import { startTuxSuiteEmulator, TuxSuiteEmulator } from './emulator/tuxsuite-emulator';
import { TuxSuiteClient, TuxSuiteClientOptions } from './tuxsuite-client';
import { DownloadError, TuxSuiteRequestError } from './tuxsuite-errors';

const BUILD = {
  clientToken: 'job-1-build',
  gitRepo: 'https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git',
  gitRef: 'master',
  targetArch: 'riscv',
  toolchain: 'gcc-12',
  kconfig: ['defconfig'],
};

describe('TuxSuiteClient against the emulator', () => {
  let emu: TuxSuiteEmulator;
  const client = (over: Partial<TuxSuiteClientOptions> = {}): TuxSuiteClient =>
    new TuxSuiteClient({ baseUrl: emu.url, token: emu.token, group: emu.group, project: emu.project, retryBaseMs: 5, ...over });

  beforeEach(async () => {
    emu = await startTuxSuiteEmulator({ callbackDelayMs: 30 });
  });
  afterEach(() => emu.stop());

  it('submits a build with the TuxSuite body and reads it back', async () => {
    const uid = await client().submitBuild({ ...BUILD, callbackUrl: 'http://127.0.0.1:1/cb', callbackHeaders: { 'x-run': '7' } });
    expect(uid).toMatch(/^[A-Za-z0-9]{27}$/);
    expect(emu.submissions).toHaveLength(1);
    expect(emu.submissions[0].request).toEqual({
      client_token: 'job-1-build',
      git_repo: BUILD.gitRepo,
      git_ref: 'master',
      target_arch: 'riscv',
      toolchain: 'gcc-12',
      kconfig: ['defconfig'],
      environment: {},
      targets: [],
      make_variables: {},
      callback: 'http://127.0.0.1:1/cb',
      callback_headers: { 'x-run': '7' },
    });
    const status = await client().getBuild(uid);
    expect(status).toMatchObject({ uid, state: expect.any(String), target_arch: 'riscv' });
  });

  it('submits a test (boot test: empty list) and reads it back', async () => {
    const uid = await client().submitTest({ clientToken: 't1', device: 'qemu-riscv64', kernel: 'https://x/Image', tests: [] });
    expect(emu.submissions[0].request).toEqual({
      client_token: 't1',
      device: 'qemu-riscv64',
      kernel: 'https://x/Image',
      tests: [],
      parameters: {},
    });
    expect(await client().getTest(uid)).toMatchObject({ uid, device: 'qemu-riscv64', tests: ['boot'] });
  });

  it('fetches the project key line', async () => {
    expect(await client().getKeys()).toBe(emu.publicKeyLine());
  });

  it('retries 503s and succeeds, with one submission', async () => {
    emu.set({ failNextSubmissions: 2 });
    const uid = await client().submitBuild(BUILD);
    expect(emu.submissions.map((s) => s.uid)).toEqual([uid]);
    expect(emu.requests.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([503, 503, 201]);
  });

  it('sends the same client_token on every retry: an answer lost after storing never creates a second build', async () => {
    emu.set({ failNextSubmissionsAfterStoring: 2 });
    const uid = await client().submitBuild(BUILD);
    expect(emu.submissions).toHaveLength(1);
    expect(emu.submissions[0].uid).toBe(uid);
    expect(emu.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
  });

  it('gives up after the configured retries with a retryable error', async () => {
    emu.set({ failNextSubmissions: 10 });
    const err = await client({ retries: 2 })
      .submitTest({ clientToken: 't', device: 'd', kernel: 'k', tests: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TuxSuiteRequestError);
    expect(err).toMatchObject({ status: 503, retryable: true });
    expect(emu.requests).toHaveLength(3);
  });

  it("does not retry 4xx and reports TuxSuite's error text", async () => {
    const bad = client({ token: 'wrong' });
    await expect(bad.submitBuild(BUILD)).rejects.toMatchObject({
      status: 401,
      retryable: false,
      message: expect.stringContaining('invalid or missing Authorization'),
    });
    await expect(client().submitBuild({ ...BUILD, toolchain: '' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('toolchain is required'),
    });
    expect(emu.requests.map((r) => r.status)).toEqual([401, 400]);
  });

  it('retries network errors, then fails with status null', async () => {
    const err = await new TuxSuiteClient({
      baseUrl: 'http://127.0.0.1:1',
      token: 't',
      group: 'g',
      project: 'p',
      retries: 1,
      retryBaseMs: 1,
    })
      .getKeys()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TuxSuiteRequestError', status: null, retryable: true });
  });

  it('refuses a uid that would change the request path', async () => {
    await expect(client().getBuild('../keys')).rejects.toThrow(/not a TuxSuite uid/);
  });

  it('downloads results.json once the run finished', async () => {
    const uid = await client().submitTest({ clientToken: 't2', device: 'qemu-riscv64', kernel: 'k', tests: ['ltp-smoke'] });
    await new Promise((r) => setTimeout(r, 80));
    const status = await client().getTest(uid);
    const text = await client().downloadText(`${status.download_url}results.json`, { timeoutMs: 1000, maxBytes: 10_000 });
    expect(JSON.parse(text)).toMatchObject({ lava: { boot: { result: 'pass' }, '0_ltp-smoke': { result: 'pass' } } });
  });
});

describe('downloadText', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/small') return res.end('hello');
      if (req.url === '/declared-big') {
        res.writeHead(200, { 'Content-Length': '100000' });
        return res.end('x'.repeat(100000));
      }
      if (req.url === '/chunked-big') {
        res.writeHead(200); // no length: the cap must hold while streaming
        const timer = setInterval(() => res.write('y'.repeat(1000)), 1);
        return res.on('close', () => clearInterval(timer));
      }
      if (req.url === '/slow') {
        const timer = setTimeout(() => res.end('late'), 2000);
        return void res.on('close', () => clearTimeout(timer));
      }
      res.writeHead(404).end('nope');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('returns small bodies', async () => {
    expect(await downloadText(`${base}/small`, { timeoutMs: 1000, maxBytes: 5 })).toBe('hello');
  });

  it('refuses a declared length above the cap', async () => {
    await expect(downloadText(`${base}/declared-big`, { timeoutMs: 1000, maxBytes: 1000 })).rejects.toMatchObject({ reason: 'too-large' });
  });

  it('aborts a streamed body once it passes the cap', async () => {
    const err = await downloadText(`${base}/chunked-big`, { timeoutMs: 5000, maxBytes: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err).toMatchObject({ reason: 'too-large', message: expect.stringContaining('20000-byte cap') });
  });

  it('times out', async () => {
    await expect(downloadText(`${base}/slow`, { timeoutMs: 100, maxBytes: 1000 })).rejects.toMatchObject({ reason: 'timeout' });
  });

  it('treats a non-2xx answer as an error', async () => {
    await expect(downloadText(`${base}/missing`, { timeoutMs: 1000, maxBytes: 1000 })).rejects.toMatchObject({ reason: 'http-status' });
  });
});
