/** A tiny JSON client for the tests: status and parsed body; with a bearer token when one is given. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string | null,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field in the specs
): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* plain text */
  }
  return { status: res.status, body: parsed, text };
}

/** Polls until `check` returns something truthy, or fails after `timeoutMs`, saying what `explain` finds then. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
  what = 'condition',
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${explain ? `\n${await explain()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
