/*
 * A PostgreSQL wire-protocol server in front of ONE PGlite instance, for several client
 * connections at once. It replaces `PGLiteSocketServer` from @electric-sql/pglite-socket
 * 0.2.x, whose multiplexer was measured to be unsafe for our use (see embedded-postgres.ts):
 *
 *  - pglite-socket queues single protocol messages, so the extended-protocol sequence of one
 *    client (Parse/Bind/Describe/Execute/Sync) can be interleaved with another client's as soon
 *    as a message spans several TCP reads (payloads above ~64 KB): the other client's Parse
 *    replaces the shared unnamed statement and the first client's Bind then fails ("bind
 *    message supplies 2 parameters, but prepared statement "" requires 3") or, worse, binds to
 *    a statement of the same shape. Here a client's messages are executed as one atomic batch
 *    up to its Sync / simple Query.
 *  - PGlite is ONE backend session, so a NOTIFY's NotificationResponse comes out in the output
 *    of whichever client ran the NOTIFY/COMMIT, never to the client that LISTENed. Here
 *    LISTEN/UNLISTEN statements are tracked per client and NotificationResponse messages are
 *    routed to every client that listens on the channel (like a real server does).
 *  - Named prepared statements / portals live in the one shared session, so two clients
 *    preparing the same name would collide. Here non-empty names are rewritten per client.
 *
 * Kept from pglite-socket: while a client has an open transaction (BEGIN ... COMMIT/ROLLBACK,
 * including an aborted one) only that client is served, so other clients' statements cannot
 * land inside it; they wait. A client that disconnects inside a transaction is rolled back.
 *
 * Still shared by all clients (one session): SET/search_path and other GUCs, session advisory
 * locks (they do not exclude each other), temp tables, application_name, pg_stat_activity.
 */
import * as net from 'node:net';
import type { PgBackend } from './pglite-worker-host';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

interface Batch {
  conn: Conn;
  data: Buffer;
  /** true for the startup packet (no type byte). */
  startup?: boolean;
  /** LISTEN / UNLISTEN effects to apply when the batch has been executed. */
  listen?: { channel: string; on: boolean }[];
  /** the batch ended with Flush ('H'), not Sync: keep serving this client until its Sync. */
  openExtended?: boolean;
  /** internal batch: run, discard the output. */
  internal?: boolean;
}

class Conn {
  buf: Buffer = Buffer.alloc(0);
  pending: Buffer[] = [];
  pendingListen: { channel: string; on: boolean }[] = [];
  started = false;
  closed = false;
  readonly channels = new Set<string>();
  readonly statements = new Set<string>();
  constructor(
    readonly id: number,
    readonly socket: net.Socket,
  ) {}
}

export interface PGliteMuxServerOptions {
  db: PgBackend;
  host?: string;
  /** 0 = let the OS pick a free port. */
  port?: number;
  maxConnections?: number;
  /** Called with unexpected errors (the server keeps running). */
  onError?: (err: Error) => void;
}

export class PGliteMuxServer {
  private server?: net.Server;
  private readonly conns = new Set<Conn>();
  private nextId = 1;
  private queue: Batch[] = [];
  private running = false;
  /** client that owns the session (open transaction / unfinished extended sequence). */
  private owner: Conn | null = null;
  private _port = 0;
  private _peakConnections = 0;
  private _rejected = 0;

  constructor(private readonly opts: PGliteMuxServerOptions) {}

  get port(): number {
    return this._port;
  }

  stats(): {
    connections: number;
    peakConnections: number;
    rejected: number;
    queued: number;
    maxConnections: number;
  } {
    return {
      connections: this.conns.size,
      peakConnections: this._peakConnections,
      rejected: this._rejected,
      queued: this.queue.length,
      maxConnections: this.maxConnections,
    };
  }

  private get maxConnections(): number {
    return this.opts.maxConnections ?? 64;
  }

  async start(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.report(e));
    this._port = (server.address() as net.AddressInfo).port;
  }

  /** Closes every client connection and the listening socket. Queued work is dropped. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of [...this.conns]) {
      c.socket.destroy();
      this.dropConn(c);
    }
    // let a batch that is executing right now finish before the caller closes PGlite
    while (this.running) await new Promise((r) => setTimeout(r, 5));
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private report(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    if (this.opts.onError) this.opts.onError(e);
  }

  private accept(socket: net.Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    if (this.conns.size >= this.maxConnections) {
      this._rejected++;
      socket.end(
        errorResponse('53300', `sorry, too many clients already (embedded Postgres allows ${this.maxConnections} connections)`, 'FATAL'),
      );
      return;
    }
    const conn = new Conn(this.nextId++, socket);
    this.conns.add(conn);
    this._peakConnections = Math.max(this._peakConnections, this.conns.size);
    socket.on('data', (chunk) => {
      try {
        this.onData(conn, chunk);
      } catch (e) {
        this.report(e);
        socket.destroy();
        this.dropConn(conn);
      }
    });
    socket.on('error', () => this.dropConn(conn));
    socket.on('close', () => this.dropConn(conn));
  }

  private onData(conn: Conn, chunk: Buffer): void {
    if (conn.closed) return;
    conn.buf = conn.buf.length ? Buffer.concat([conn.buf, chunk]) : chunk;
    for (;;) {
      if (!conn.started) {
        if (conn.buf.length < 8) return;
        const len = conn.buf.readInt32BE(0);
        if (conn.buf.length < len) return;
        const code = conn.buf.readInt32BE(4);
        const msg = conn.buf.subarray(0, len);
        conn.buf = conn.buf.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          conn.socket.write('N');
          continue;
        }
        if (code === CANCEL_REQUEST) {
          // not supported (one backend, nothing to cancel safely)
          conn.socket.destroy();
          this.dropConn(conn);
          return;
        }
        if (code !== PROTOCOL_3) {
          conn.socket.end(errorResponse('08P01', `unsupported frontend protocol ${code}`, 'FATAL'));
          this.dropConn(conn);
          return;
        }
        conn.started = true;
        this.enqueue({ conn, data: Buffer.from(msg), startup: true });
        continue;
      }
      if (conn.buf.length < 5) return;
      const len = conn.buf.readInt32BE(1) + 1;
      if (conn.buf.length < len) return;
      const type = String.fromCharCode(conn.buf[0]);
      let msg = conn.buf.subarray(0, len);
      conn.buf = conn.buf.subarray(len);
      if (type === 'X') {
        // Terminate
        conn.socket.end();
        this.dropConn(conn);
        return;
      }
      if (type === 'Q') {
        conn.pendingListen.push(...listenEffects(cstr(msg, 5).value));
      } else if (type === 'P') {
        const name = cstr(msg, 5);
        conn.pendingListen.push(...listenEffects(cstr(msg, name.next).value));
      }
      msg = this.renameStatements(conn, type, msg);
      conn.pending.push(Buffer.from(msg));
      if (type === 'S' || type === 'Q' || type === 'H' || type === 'c' || type === 'f') {
        const data = Buffer.concat(conn.pending);
        const listen = conn.pendingListen;
        conn.pending = [];
        conn.pendingListen = [];
        this.enqueue({ conn, data, listen, openExtended: type === 'H' });
      }
    }
  }

  /** Prefixes non-empty prepared statement / portal names with the client id. */
  private renameStatements(conn: Conn, type: string, msg: Buffer): Buffer {
    const pre = `_c${conn.id}_`;
    const rebuild = (parts: Buffer[]): Buffer => {
      const body = Buffer.concat(parts);
      const out = Buffer.alloc(5 + body.length);
      out.write(type, 0, 'latin1');
      out.writeInt32BE(4 + body.length, 1);
      body.copy(out, 5);
      return out;
    };
    const z = (s: string) => Buffer.from(s + '\0', 'utf8');
    switch (type) {
      case 'P': {
        const n = cstr(msg, 5);
        if (!n.value) return msg;
        conn.statements.add(pre + n.value);
        return rebuild([z(pre + n.value), msg.subarray(n.next)]);
      }
      case 'B': {
        const portal = cstr(msg, 5);
        const stmt = cstr(msg, portal.next);
        if (!portal.value && !stmt.value) return msg;
        return rebuild([z(portal.value ? pre + portal.value : ''), z(stmt.value ? pre + stmt.value : ''), msg.subarray(stmt.next)]);
      }
      case 'E': {
        const portal = cstr(msg, 5);
        if (!portal.value) return msg;
        return rebuild([z(pre + portal.value), msg.subarray(portal.next)]);
      }
      case 'D':
      case 'C': {
        const kind = msg.subarray(5, 6);
        const n = cstr(msg, 6);
        if (!n.value) return msg;
        if (type === 'C' && kind.toString('latin1') === 'S') conn.statements.delete(pre + n.value);
        return rebuild([kind, z(pre + n.value), msg.subarray(n.next)]);
      }
      default:
        return msg;
    }
  }

  private dropConn(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    this.conns.delete(conn);
    this.queue = this.queue.filter((b) => b.conn !== conn);
    const stmts = [...conn.statements];
    conn.statements.clear();
    conn.channels.clear();
    if (this.owner === conn) {
      // roll back its open transaction and free its prepared statements, before anything else
      this.owner = null;
      this.queue.unshift({ conn, data: cleanupBatch(stmts), internal: true });
    } else if (stmts.length) {
      this.queue.push({ conn, data: cleanupBatch(stmts), internal: true });
    }
    this.kick();
  }

  private enqueue(b: Batch): void {
    this.queue.push(b);
    this.kick();
  }

  private kick(): void {
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (;;) {
        let idx = 0;
        if (this.owner) {
          idx = this.queue.findIndex((b) => b.conn === this.owner);
          if (idx < 0) break; // wait for the owner's next statement
        }
        const b = this.queue.splice(idx, 1)[0];
        if (!b) break;
        await this.execute(b);
      }
    } finally {
      this.running = false;
    }
  }

  private async execute(b: Batch): Promise<void> {
    const db = this.opts.db;
    if (db.closed) return;
    let out: Buffer | undefined;
    let inTx = false;
    let failed: unknown;
    try {
      if (b.internal) {
        // end an unfinished extended-protocol sequence, roll back an open transaction of the
        // departed client (it was the owner, or nobody could be in one), close its statements
        const r = await db.execRaw(SYNC);
        if (r.inTransaction) await db.execRaw(simpleQuery('ROLLBACK'));
        await db.execRaw(b.data);
        return;
      }
      const r = await db.execRaw(b.data);
      out = r.out;
      inTx = r.inTransaction;
      // apply LISTEN/UNLISTEN bookkeeping; re-LISTEN channels other clients still need
      if (b.listen?.length) {
        let relisten = false;
        for (const l of b.listen) {
          if (l.channel === '*') {
            if (!l.on) {
              b.conn.channels.clear();
              relisten = true;
            }
          } else if (l.on) b.conn.channels.add(l.channel);
          else {
            b.conn.channels.delete(l.channel);
            relisten = true;
          }
        }
        if (relisten && !inTx) {
          const still = new Set<string>();
          for (const c of this.conns) for (const ch of c.channels) still.add(ch);
          if (still.size) {
            const sql = [...still].map((ch) => `LISTEN "${ch.replace(/"/g, '""')}"`).join(';');
            await db.execRaw(simpleQuery(sql));
          }
        }
      }
    } catch (e) {
      failed = e;
      if (b.internal) this.report(e);
    }
    if (b.internal) return;
    this.owner = inTx || b.openExtended ? b.conn : null;
    if (this.owner && b.conn.closed) {
      // the client left while its batch ran: roll its transaction back before serving others
      this.owner = null;
      this.queue.unshift({
        conn: b.conn,
        data: cleanupBatch([]),
        internal: true,
      });
    }
    if (failed) {
      this.report(failed);
      if (!b.conn.closed) {
        b.conn.socket.write(errorResponse('XX000', `embedded Postgres: ${(failed as Error).message ?? failed}`));
        b.conn.socket.write(readyForQuery(inTx ? 'E' : 'I'));
      }
      return;
    }
    if (out) this.route(b.conn, out);
  }

  /** Sends `out` to `conn`, moving NotificationResponse messages to the clients that LISTEN. */
  private route(conn: Conn, out: Buffer): void {
    const keep: Buffer[] = [];
    let pos = 0;
    let start = 0;
    while (pos + 5 <= out.length) {
      const len = out.readInt32BE(pos + 1) + 1;
      if (out[pos] === 0x41 /* 'A' */) {
        if (pos > start) keep.push(out.subarray(start, pos));
        const msg = out.subarray(pos, pos + len);
        const channel = cstr(msg, 9).value;
        for (const c of this.conns) {
          if (c.channels.has(channel) && !c.closed && c !== conn) c.socket.write(msg);
        }
        if (conn.channels.has(channel)) keep.push(msg);
        start = pos + len;
      }
      pos += len;
    }
    if (start < out.length) keep.push(out.subarray(start));
    if (!conn.closed && keep.length) conn.socket.write(keep.length === 1 ? keep[0] : Buffer.concat(keep));
  }
}

function cstr(buf: Buffer, offset: number): { value: string; next: number } {
  const end = buf.indexOf(0, offset);
  const stop = end < 0 ? buf.length : end;
  return { value: buf.toString('utf8', offset, stop), next: stop + 1 };
}

/** LISTEN / UNLISTEN statements in a SQL text (comments stripped; string literals not parsed). */
export function listenEffects(sql: string): { channel: string; on: boolean }[] {
  if (!/listen/i.test(sql)) return [];
  const clean = sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
  const out: { channel: string; on: boolean }[] = [];
  for (const stmt of clean.split(';')) {
    const m = /^\s*(UN)?LISTEN\s+(\*|"((?:[^"]|"")+)"|([A-Za-z_][\w$]*))/i.exec(stmt);
    if (!m) continue;
    const channel = m[2] === '*' ? '*' : m[3] !== undefined ? m[3].replace(/""/g, '"') : m[4].toLowerCase();
    out.push({ channel, on: !m[1] });
  }
  return out;
}

const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);

function simpleQuery(sql: string): Uint8Array {
  const body = Buffer.from(sql + '\0', 'utf8');
  const b = Buffer.alloc(5 + body.length);
  b.write('Q', 0, 'latin1');
  b.writeInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
}

function cleanupBatch(statements: string[]): Buffer {
  const parts: Buffer[] = [];
  for (const s of statements) {
    const body = Buffer.concat([Buffer.from('S', 'latin1'), Buffer.from(s + '\0', 'utf8')]);
    const m = Buffer.alloc(5);
    m.write('C', 0, 'latin1');
    m.writeInt32BE(4 + body.length, 1);
    parts.push(m, body);
  }
  parts.push(Buffer.from([0x53, 0, 0, 0, 4])); // Sync
  return Buffer.concat(parts);
}

function errorResponse(code: string, message: string, severity = 'ERROR'): Buffer {
  const fields = Buffer.from(`S${severity}\0V${severity}\0C${code}\0M${message}\0\0`, 'utf8');
  const b = Buffer.alloc(5);
  b.write('E', 0, 'latin1');
  b.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([b, fields]);
}

function readyForQuery(status: 'I' | 'T' | 'E'): Buffer {
  return Buffer.from([0x5a, 0, 0, 0, 5, status.charCodeAt(0)]);
}
