import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';

/** An HTTP server of the test's making on a free loopback port. */
abstract class TestServer {
  private server?: Server;
  url = '';

  protected abstract handle(req: IncomingMessage, body: string, res: ServerResponse): void;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => this.handle(req, body, res));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
    return this;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => this.server?.close(() => r()) ?? r());
  }
}

/** Automn's host as a test plays it: records every registration and answers as Automn does. */
export class FakeAutomnHost extends TestServer {
  readonly registrations: { id: string; body: Record<string, unknown> }[] = [];

  protected handle(req: IncomingMessage, text: string, res: ServerResponse): void {
    const m = /^\/api\/settings\/runner-hosts\/([^/]+)\/register$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return void res.writeHead(404).end();
    this.registrations.push({ id: decodeURIComponent(m[1]), body: JSON.parse(text) as Record<string, unknown> });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        runnerHost: { id: m[1], status: 'healthy' },
        registered: true,
        hostVersion: '0.2.16',
        minimumRunnerVersion: '0.2.15',
      }),
    );
  }
}

/** A stock Automn runner's `/api/run` as a test plays it: records each dispatch, answers log frames and a result. */
export class FakeAutomnRunner extends TestServer {
  readonly dispatches: { headers: IncomingMessage['headers']; body: Record<string, unknown> }[] = [];
  /** Runs whose host hung up while their (long) script went on. */
  readonly hangUps: string[] = [];
  /** Answers with these statuses first (e.g. 429: at capacity), then runs. */
  refuseWith: number[] = [];

  protected handle(req: IncomingMessage, text: string, res: ServerResponse): void {
    if (req.method !== 'POST' || req.url !== '/api/run') return void res.writeHead(404).end();
    const refusal = this.refuseWith.shift();
    if (refusal) return void res.writeHead(refusal, { 'content-type': 'application/json' }).end('{"error":"Runner is at capacity"}');
    const body = JSON.parse(text) as { runId: string; reqBody: unknown; script?: { code?: string } };
    this.dispatches.push({ headers: req.headers, body });
    res.writeHead(200, { 'content-type': 'application/jsonl; charset=utf-8' });
    res.write(`${JSON.stringify({ type: 'log', line: 'hello from a stock runner\n' })}\n`);
    // A long script: the stock runner has no stop, and a host that hangs up does not end it.
    if (body.script?.code?.includes('LONG')) {
      res.on('close', () => this.hangUps.push(body.runId));
      return;
    }
    const data = {
      runId: body.runId,
      stdout: 'hello from a stock runner',
      stderr: '',
      code: 0,
      duration: 3,
      returnData: { stock: true },
      automnLogs: [],
      automnNotifications: [],
      input: body.reqBody,
    };
    res.end(`${JSON.stringify({ type: 'result', data })}\n`);
  }
}
