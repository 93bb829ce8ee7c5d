/*
 * Runs PGlite in a worker thread. Two reasons: PGlite executes SQL synchronously in WASM, which
 * would block the app's event loop for every query; and PGlite's internal `import()` calls fail
 * inside Jest's CommonJS sandbox (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG) but work in a
 * worker. The worker source is inline (eval) so it needs no separate build artefact.
 */
import { Worker } from 'node:worker_threads';

export interface PgBackend {
  /** Feeds raw frontend protocol bytes to PGlite; returns the raw backend bytes. */
  execRaw(data: Uint8Array): Promise<{ out: Buffer; inTransaction: boolean }>;
  readonly closed: boolean;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('worker_threads');
const { PGlite } = require(workerData.pglitePath);
let db;
parentPort.on('message', async (m) => {
  try {
    if (m.op === 'open') {
      db = await PGlite.create({ dataDir: m.dataDir });
      parentPort.postMessage({ id: m.id, ok: true });
    } else if (m.op === 'exec') {
      const chunks = [];
      let len = 0;
      await db.runExclusive(() => db.execProtocolRawStream(new Uint8Array(m.data), {
        onRawData: (d) => { chunks.push(d.slice()); len += d.length; return d.length; },
      }));
      const out = new Uint8Array(len);
      let o = 0;
      for (const c of chunks) { out.set(c, o); o += c.length; }
      parentPort.postMessage({ id: m.id, ok: true, out: out.buffer, inTx: db.isInTransaction() }, [out.buffer]);
    } else if (m.op === 'close') {
      if (db && !db.closed) await db.close();
      parentPort.postMessage({ id: m.id, ok: true });
    }
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, error: String((e && e.message) || e) });
  }
});
`;

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  out?: ArrayBuffer;
  inTx?: boolean;
}

export class PGliteWorkerHost implements PgBackend {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private _closed = false;

  private constructor() {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { pglitePath: require.resolve('@electric-sql/pglite') },
    });
    this.worker.on('message', (r: Reply) => {
      const w = this.waiting.get(r.id);
      if (!w) return;
      this.waiting.delete(r.id);
      if (r.ok) w.resolve(r);
      else w.reject(new Error(r.error));
    });
    const fail = (e: Error) => {
      this._closed = true;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`PGlite worker exited (${code})`)));
  }

  static async open(dataDir: string): Promise<PGliteWorkerHost> {
    const host = new PGliteWorkerHost();
    try {
      await host.call({ op: 'open', dataDir });
    } catch (e) {
      await host.worker.terminate();
      throw e;
    }
    return host;
  }

  get closed(): boolean {
    return this._closed;
  }

  private call(msg: Record<string, unknown>, transfer?: ArrayBuffer[]): Promise<Reply> {
    if (this._closed) return Promise.reject(new Error('PGlite worker is closed'));
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  async execRaw(data: Uint8Array): Promise<{ out: Buffer; inTransaction: boolean }> {
    const copy = new Uint8Array(data); // own buffer, transferable
    const r = await this.call({ op: 'exec', data: copy.buffer }, [copy.buffer]);
    return {
      out: Buffer.from(r.out as ArrayBuffer),
      inTransaction: Boolean(r.inTx),
    };
  }

  /** Runs simple-protocol SQL, throwing on an ErrorResponse. */
  async exec(sql: string): Promise<void> {
    const body = Buffer.from(sql + '\0', 'utf8');
    const msg = Buffer.alloc(5 + body.length);
    msg.write('Q', 0, 'latin1');
    msg.writeInt32BE(4 + body.length, 1);
    body.copy(msg, 5);
    const { out } = await this.execRaw(msg);
    for (let p = 0; p + 5 <= out.length; p += out.readInt32BE(p + 1) + 1) {
      if (out[p] === 0x45 /* 'E' */) {
        const m = /M([^\0]*)/.exec(out.subarray(p + 5, p + 1 + out.readInt32BE(p + 1)).toString('utf8'));
        throw new Error(`embedded Postgres: ${m ? m[1] : 'error'} (in: ${sql})`);
      }
    }
  }

  async close(): Promise<void> {
    if (this._closed) return;
    try {
      await this.call({ op: 'close' });
    } finally {
      this._closed = true;
      await this.worker.terminate();
    }
  }
}
