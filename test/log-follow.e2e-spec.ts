import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { behave } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { profilesYaml, runReachableDir, RunyardUnderTest, startRunyard } from './support/runyard';

interface Frame {
  type: 'log' | 'result' | 'error';
  stream?: 'stdout' | 'stderr';
  line?: string;
  data?: { runId: number; status: string; code: number | null; duration: number | null };
}

/** A stand-in executable that prints numbered lines over time (some on stderr, one written in two halves). */
const TICKER = `#!/usr/bin/env bash
[ "$1" = run ] || { echo "ticker: $*"; exit 0; }
for i in $(seq 1 30); do
  if [ $((i % 5)) -eq 0 ]; then echo "err $i" >&2; else echo "out $i"; fi
  if [ "$i" -eq 15 ]; then printf 'half'; sleep 0.3; echo 'way'; fi
  sleep 0.1
done
printf 'no newline at the end'
`;

/** Reads a follow response to its end, frame by frame (NDJSON or SSE). */
async function follow(url: string, sse = false): Promise<{ status: number; contentType: string; frames: Frame[] }> {
  const res = await fetch(url, { headers: sse ? { accept: 'text/event-stream' } : {} });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  if (res.status !== 200) return { status: res.status, contentType, frames: [] };
  const frames = sse
    ? text
        .split('\n\n')
        .filter((e) => e.startsWith('data: '))
        .map((e) => JSON.parse(e.slice('data: '.length)) as Frame)
    : text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Frame);
  return { status: res.status, contentType, frames };
}

/** `GET /api/v1/runs/:id/logs?follow=true`: every line in order, once, also for a late joiner, then the result. */
describe('live logs', () => {
  let rt: RunyardUnderTest;
  const submit = async (expid: string, profile = 'LOCAL_NO_MODULE') => {
    const res = await call(rt.url, 'POST', '/api/v1/runs', { expid, profile_name: profile });
    expect(res.status).toBe(202);
    return res.body.id as number;
  };
  const logsUrl = (id: number) => `${rt.url}/api/v1/runs/${id}/logs?follow=true`;
  /** The stored log's lines (what the plain endpoint answers once the run has ended). */
  const storedLines = async (id: number) => {
    const text = (await call(rt.url, 'GET', `/api/v1/runs/${id}/logs`)).text as string;
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  };
  const lines = (frames: Frame[]) => frames.filter((f) => f.type === 'log').map((f) => f.line);
  const ofStream = (frames: Frame[], stream: string) => frames.filter((f) => f.type === 'log' && f.stream === stream).map((f) => f.line);
  /** The ticker's lines per stream (the stored plain log may interleave a partial line with the other stream). */
  const tickerLines = () => {
    const out: { stream: string; line: string }[] = [];
    for (let i = 1; i <= 30; i++) {
      out.push(i % 5 === 0 ? { stream: 'stderr', line: `err ${i}` } : { stream: 'stdout', line: `out ${i}` });
      if (i === 15) out.push({ stream: 'stdout', line: 'halfway' });
    }
    out.push({ stream: 'stdout', line: 'no newline at the end' });
    return out;
  };
  /** Exact per stream; across streams the worker's shipping order decides (it reads stdout, then stderr, each tick). */
  const expectTickerFrames = (frames: Frame[], id: number) => {
    const expected = tickerLines();
    expect(frames).toHaveLength(expected.length + 1);
    for (const stream of ['stdout', 'stderr']) {
      expect(ofStream(frames, stream)).toEqual(expected.filter((e) => e.stream === stream).map((e) => e.line));
    }
    expect(frames[frames.length - 1]).toEqual({
      type: 'result',
      data: { runId: id, status: 'COMPLETED', code: 0, duration: expect.any(Number) },
    });
  };

  beforeAll(async () => {
    const bin = runReachableDir('runyard-ticker-');
    const ticker = join(bin, 'ticker');
    writeFileSync(ticker, TICKER);
    chmodSync(ticker, 0o755);
    const extra = `
    TICKER:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      AUTOSUBMIT_EXECUTABLE: ${ticker}
`;
    rt = await startRunyard({ config: profilesYaml(extra) });
  });
  afterAll(() => rt?.close());

  it('streams every line of a run from the start, in order, then the result frame', async () => {
    behave(rt, 'f001', { seconds: 2, bytes: 3000 });
    const id = await submit('f001');
    const { status, contentType, frames } = await follow(logsUrl(id));
    expect(status).toBe(200);
    expect(contentType).toContain('application/x-ndjson');
    const last = frames[frames.length - 1];
    expect(last).toEqual({
      type: 'result',
      data: { runId: id, status: 'COMPLETED', code: 0, duration: expect.any(Number) },
    });
    expect(last.data!.duration).toBeGreaterThanOrEqual(1500);
    expect(frames.filter((f) => f.type === 'result')).toHaveLength(1);
    // fold leaves the last 30 x without a newline: `Run successful` completes that line.
    expect(ofStream(frames, 'stdout')).toEqual([
      'Autosubmit is running with 4.1.16',
      'Checking the connection to all platforms in use',
      'Running experiment f001',
      ...Array(30).fill('x'.repeat(99)),
      'x'.repeat(30) + 'Run successful',
    ]);
    expect(ofStream(frames, 'stderr')).toEqual(['[WARNING] fake autosubmit: no job is really submitted']);
  });

  it('splits output that arrives over time into lines, keeping a partial line until its newline or the end', async () => {
    const id = await submit('f002', 'TICKER');
    const { frames } = await follow(logsUrl(id));
    expectTickerFrames(frames, id);
  });

  it('gives a client joining mid-run every line exactly once', async () => {
    const id = await submit('f003', 'TICKER');
    await eventually(async () => (await storedLines(id)).includes('out 8'), 10_000, 'output under way');
    const joined = follow(logsUrl(id));
    const second = await follow(logsUrl(id)); // a second, concurrent late joiner
    const { frames } = await joined;
    expect((await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body.status).toBe('COMPLETED');
    expectTickerFrames(frames, id);
    expectTickerFrames(second.frames, id);
  });

  it('answers a finished run at once, and a failed one with its exit code', async () => {
    behave(rt, 'f004', { exit: 3 });
    const id = await submit('f004');
    await eventually(async () => (await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body.status === 'FAILED', 15_000, 'FAILED');
    const { frames } = await follow(logsUrl(id));
    expect(lines(frames)).toEqual(await storedLines(id));
    expect(frames).toContainEqual({ type: 'log', stream: 'stderr', line: 'Run failed' });
    expect(frames[frames.length - 1]).toEqual({
      type: 'result',
      data: { runId: id, status: 'FAILED', code: 3, duration: expect.any(Number) },
    });
  });

  it('sends the same frames as Server-Sent Events with Accept: text/event-stream', async () => {
    const id = await submit('f005', 'TICKER');
    const { status, contentType, frames } = await follow(logsUrl(id), true);
    expect(status).toBe(200);
    expect(contentType).toContain('text/event-stream');
    expectTickerFrames(frames, id);
  });

  it('stops following when the client goes away, and serves the next client', async () => {
    const id = await submit('f006', 'TICKER');
    const abort = new AbortController();
    const res = await fetch(logsUrl(id), { signal: abort.signal });
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('"type":"log"');
    abort.abort();
    const { frames } = await follow(logsUrl(id));
    expectTickerFrames(frames, id);
  });

  it('answers 404 for an unknown run and 400 for a bad id or follow value; without follow the log stays plain text', async () => {
    const unknown = await call(rt.url, 'GET', '/api/v1/runs/999999/logs?follow=true');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: true, error_message: expect.stringContaining('999999') });
    expect((await follow(`${rt.url}/api/v1/runs/999999/logs?follow=true`, true)).status).toBe(404);
    expect((await call(rt.url, 'GET', '/api/v1/runs/abc/logs?follow=true')).status).toBe(400);
    expect((await call(rt.url, 'GET', '/api/v1/runs/1/logs?follow=maybe')).status).toBe(400);
    const plain = await fetch(`${rt.url}/api/v1/runs/1/logs`);
    expect(plain.headers.get('content-type')).toContain('text/plain');
    const falsy = await fetch(`${rt.url}/api/v1/runs/1/logs?follow=false`);
    expect(falsy.headers.get('content-type')).toContain('text/plain');
    expect(await falsy.text()).toBe(await plain.text());
  });
});
