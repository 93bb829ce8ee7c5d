import { authHeaders } from './api';

export type LogFrame =
  | { type: 'log'; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'result'; data: { runId: number; status: string; code: number | null; duration: number | null } }
  | { type: 'error'; error_message: string };

/**
 * The run's output from its first line, then every line as it arrives, until the run ends: the
 * API's follow stream (NDJSON), read with fetch because EventSource cannot send the token.
 */
export async function followLog(runId: number, onFrame: (f: LogFrame) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(`/api/v1/runs/${runId}/logs?follow=true`, { headers: authHeaders(), signal });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => null)) as { error_message?: string } | null;
    throw new Error(body?.error_message ?? `${res.status} ${res.statusText}`);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += value;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) onFrame(JSON.parse(l) as LogFrame);
  }
}
