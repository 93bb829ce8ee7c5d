import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TuxBuildStatus, TuxTestStatus } from './callback-payload';
import { kcidbBuildRow, kcidbStatus, kcidbTestRows, testPath } from './kcidb';
import { KcidbClient, KcidbSubmitError } from './kcidb-client';

const BUILD: TuxBuildStatus = {
  uid: '2ZITcwA6wxeKxh9cZA5HBJ6FkSj',
  state: 'finished',
  result: 'pass',
  git_repo: 'https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git',
  git_ref: 'master',
  git_sha: '5e3f5b81de80c98338bcb47c233aebefee5a4801',
  git_describe: 'v6.7-rc4-111-g5e3f5b81de80',
  target_arch: 'riscv',
  toolchain: 'gcc-12',
  kconfig: ['defconfig', 'CONFIG_KVM=y'],
  kernel_image_name: 'Image.gz',
  kernel_version: '6.7.0-rc4',
  duration: 258,
  download_url: 'https://storage.tuxsuite.com/public/demo/demo/builds/2ZITcwA6wxeKxh9cZA5HBJ6FkSj/',
};

const TEST: TuxTestStatus = {
  uid: '2vimuB3RRKyuJDj2Yk2YM3zvony',
  state: 'finished',
  result: 'pass',
  device: 'qemu-riscv64',
  download_url: 'https://storage.tuxsuite.com/public/community/x/tests/2vimuB3RRKyuJDj2Yk2YM3zvony',
  duration: 67,
  finished_time: '2025-04-14T13:16:27.979542',
};

describe('KCIDB 5.1 rows', () => {
  it('maps a build callback to a checkout and a build', () => {
    expect(kcidbBuildRow(BUILD, 'riscv_runyard', { treeName: 'mainline' })).toEqual({
      version: { major: 5, minor: 1 },
      checkouts: [
        {
          id: 'riscv_runyard:2ZITcwA6wxeKxh9cZA5HBJ6FkSj',
          origin: 'riscv_runyard',
          tree_name: 'mainline',
          git_repository_url: BUILD.git_repo,
          git_commit_hash: BUILD.git_sha,
          git_commit_name: 'v6.7-rc4-111-g5e3f5b81de80',
          git_repository_branch: 'master',
          valid: true,
        },
      ],
      builds: [
        {
          id: 'riscv_runyard:2ZITcwA6wxeKxh9cZA5HBJ6FkSj',
          checkout_id: 'riscv_runyard:2ZITcwA6wxeKxh9cZA5HBJ6FkSj',
          origin: 'riscv_runyard',
          comment: 'v6.7-rc4-111-g5e3f5b81de80',
          duration: 258,
          architecture: 'riscv',
          compiler: 'gcc-12',
          config_name: 'defconfig+CONFIG_KVM=y',
          config_url: `${BUILD.download_url}config`,
          log_url: `${BUILD.download_url}build.log`,
          output_files: [{ name: 'Image.gz', url: `${BUILD.download_url}Image.gz` }],
          status: 'PASS',
          misc: { tuxsuite_uid: BUILD.uid, kernel_version: '6.7.0-rc4' },
        },
      ],
    });
  });

  it('omits what TuxSuite did not report (KCIDB forbids nulls) and maps a failed build', () => {
    const row = kcidbBuildRow({ uid: 'abc', state: 'finished', result: 'fail' }, 'o');
    expect(row.checkouts).toEqual([{ id: 'o:abc', origin: 'o', valid: true }]);
    expect(row.builds).toEqual([{ id: 'o:abc', checkout_id: 'o:abc', origin: 'o', status: 'FAIL', misc: { tuxsuite_uid: 'abc' } }]);
    expect(JSON.stringify(row)).not.toContain('null');
  });

  it('maps per-test results to test rows with paths, statuses and a start time', () => {
    const rows = kcidbTestRows(
      TEST,
      [
        { test: 'boot', result: 'PASS' },
        { test: 'ltp-smoke', result: 'FAIL' },
        { test: 'kselftest', result: 'MISS' },
      ],
      'riscv_runyard',
      'maestro:67a1',
    );
    expect(rows.version).toEqual({ major: 5, minor: 1 });
    expect(rows.tests).toHaveLength(3);
    expect(rows.tests![1]).toEqual({
      id: 'riscv_runyard:2vimuB3RRKyuJDj2Yk2YM3zvony.ltp-smoke',
      build_id: 'maestro:67a1',
      origin: 'riscv_runyard',
      path: 'ltp-smoke',
      status: 'FAIL',
      start_time: '2025-04-14T13:15:20.979Z',
      duration: 67,
      log_url: `${TEST.download_url}/logs.txt`,
      environment: { comment: 'qemu-riscv64' },
      misc: { tuxsuite_uid: TEST.uid, result: 'FAIL' },
    });
    expect(rows.tests!.map((t) => t.status)).toEqual(['PASS', 'FAIL', 'MISS']);
  });

  it('prefixes a bare build uid with the origin, or takes it from waiting_for', () => {
    expect(kcidbTestRows(TEST, [{ test: 'boot', result: 'PASS' }], 'o', 'BUILDUID').tests![0].build_id).toBe('o:BUILDUID');
    expect(kcidbTestRows({ ...TEST, waiting_for: 'BUILD#2ZIT' }, [{ test: 'boot', result: 'PASS' }], 'o').tests![0].build_id).toBe(
      'o:2ZIT',
    );
    expect(() => kcidbTestRows(TEST, [], 'o')).toThrow(/tested build is unknown/);
  });

  it('refuses an origin KCIDB would refuse', () => {
    expect(() => kcidbBuildRow(BUILD, 'Riscv-Runyard')).toThrow(/origin must match/);
  });

  it('maps results to KCIDB statuses', () => {
    expect(['pass', 'FAIL', 'error', 'skip', 'done', 'MISS', 'canceled', 'unknown', undefined].map(kcidbStatus)).toEqual([
      'PASS',
      'FAIL',
      'ERROR',
      'SKIP',
      'DONE',
      'MISS',
      'MISS',
      'MISS',
      'MISS',
    ]);
  });

  it('turns test names into KCIDB paths', () => {
    expect(testPath('ltp-smoke')).toBe('ltp-smoke');
    expect(testPath('ltp.sem01')).toBe('ltp.sem01');
    expect(testPath('kunit/foo bar')).toBe('kunit_foo_bar');
    expect(testPath('..')).toBe('_');
  });
});

describe('KcidbClient', () => {
  let server: Server;
  let url: string;
  let answer = 200;
  const received: { auth?: string; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ auth: req.headers.authorization, body });
        res.writeHead(answer).end(answer === 200 ? '' : 'storage down');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/submit`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('posts the payload with a bearer token', async () => {
    answer = 200;
    const payload = kcidbBuildRow(BUILD, 'o');
    await new KcidbClient({ url, token: 'secret' }).submit(payload);
    expect(received.at(-1)).toEqual({ auth: 'Bearer secret', body: JSON.stringify(payload) });
  });

  it('throws on an HTTP error instead of treating it as success', async () => {
    answer = 500;
    const err = await new KcidbClient({ url, token: 'secret' }).submit(kcidbBuildRow(BUILD, 'o')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KcidbSubmitError);
    expect(err).toMatchObject({ status: 500, message: expect.stringContaining('storage down') });
  });

  it('throws on a network error', async () => {
    await expect(
      new KcidbClient({ url: 'http://127.0.0.1:1/x', token: 't', timeoutMs: 1000 }).submit({ version: { major: 5, minor: 1 } }),
    ).rejects.toMatchObject({
      name: 'KcidbSubmitError',
      status: null,
    });
  });
});
