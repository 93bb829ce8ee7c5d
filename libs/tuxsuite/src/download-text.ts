import { DownloadError } from './tuxsuite-errors';

export interface DownloadOptions {
  timeoutMs: number;
  maxBytes: number;
  fetchImpl?: typeof fetch;
}

/**
 * GET a text artifact (results.json, logs.txt) with a deadline covering headers and body, and a size
 * cap enforced while streaming: a huge or endless body is cut off instead of filling the worker's memory.
 */
export async function downloadText(url: string, opts: DownloadOptions): Promise<string> {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DownloadError(`download of ${url} timed out after ${opts.timeoutMs} ms`, 'timeout')),
    opts.timeoutMs,
  );
  try {
    const res = await fetchImpl(url, { signal: controller.signal, redirect: 'follow' });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new DownloadError(`download of ${url} answered HTTP ${res.status}`, 'http-status');
    }
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > opts.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw tooLarge(url, opts.maxBytes);
    }
    if (!res.body) return '';
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > opts.maxBytes) {
        controller.abort();
        await reader.cancel().catch(() => undefined);
        throw tooLarge(url, opts.maxBytes);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    if (e instanceof DownloadError) throw e;
    if (controller.signal.reason instanceof DownloadError) throw controller.signal.reason;
    throw new DownloadError(`download of ${url} failed: ${e instanceof Error ? e.message : String(e)}`, 'network', { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

function tooLarge(url: string, maxBytes: number): DownloadError {
  return new DownloadError(`download of ${url} exceeds the ${maxBytes}-byte cap`, 'too-large');
}
