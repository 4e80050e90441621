/**
 * The client side of the socket view: node:tls connections to a server child over
 * loopback, a fixed number in flight, each resuming (or not) as the scenario needs. The
 * same client drives both servers.
 */
import net from 'node:net';
import tls from 'node:tls';
import { CLIENT_CURVES, GREETING, type Resumption } from './common.js';

/** Inactivity after which a connection is abandoned (the bench reports it as an error). */
const STALL_MS = 30_000;

export function clientContext(ciphers: string): tls.SecureContext {
  return tls.createSecureContext({ ciphers, ecdhCurve: CLIENT_CURVES, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
}

interface Connected<S extends net.Socket = tls.TLSSocket> {
  socket: S;
  reused: boolean;
  latencyMs: number;
}

/** One connection up to secureConnect (the handshake's latency: connect() to secureConnect). */
function connect(port: number, secureContext: tls.SecureContext, session?: Buffer): Promise<Connected> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const options: tls.ConnectionOptions = { host: '127.0.0.1', port, secureContext, rejectUnauthorized: false };
    if (session) options.session = session;
    const socket = tls.connect(options);
    // A server that stops answering must fail the bench, not hang it.
    socket.setTimeout(STALL_MS, () => socket.destroy(new Error(`no progress for ${STALL_MS / 1000} s`)));
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve({ socket, reused: socket.isSessionReused(), latencyMs: Number(process.hrtime.bigint() - t0) / 1e6 });
    });
  });
}

/** A plain TCP connection (the no-TLS floor), shaped like a handshake that never resumes. */
function connectPlain(port: number): Promise<Connected<net.Socket>> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(STALL_MS, () => socket.destroy(new Error(`no progress for ${STALL_MS / 1000} s`)));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve({ socket, reused: false, latencyMs: Number(process.hrtime.bigint() - t0) / 1e6 });
    });
  });
}

/** Reads until the server ends the connection; resolves with the bytes read. */
function drain(socket: net.Socket): Promise<number> {
  return new Promise((resolve) => {
    let n = 0;
    socket.on('data', (chunk: Buffer) => (n += chunk.length));
    socket.once('close', () => resolve(n));
  });
}

/** A session to resume from (the ticket rides inside it in ticket mode). */
export async function fetchSession(port: number, secureContext: tls.SecureContext): Promise<Buffer> {
  const { socket } = await connect(port, secureContext);
  const session = await new Promise<Buffer>((resolve, reject) => {
    const now = socket.getSession();
    if (now) resolve(now);
    else socket.once('session', resolve);
    socket.once('close', () => reject(new Error('no session from the server')));
  });
  await drain(socket);
  return session;
}

export interface LoadCounters {
  /** Handshakes of the intended kind. */
  good: number;
  /** Handshakes that completed but resumed when they should not have, or the reverse. */
  wrong: number;
  errors: number;
  latenciesMs: number[];
}

/**
 * Keeps `concurrency` handshakes in flight against `port` until stopped. In the resumption
 * modes each connection offers one of `sessions`, round robin; the kind of handshake is
 * checked with isSessionReused() (the server checks its side).
 */
export class HandshakeLoad {
  private running = false;
  private workers: Promise<void>[] = [];
  private next = 0;
  counters: LoadCounters = { good: 0, wrong: 0, errors: 0, latenciesMs: [] };
  lastError: unknown;

  constructor(
    private readonly port: number,
    private readonly resumption: Resumption,
    private readonly secureContext: tls.SecureContext | 'plain',
    private readonly sessions: Buffer[],
    private readonly concurrency: number,
  ) {
    if (resumption !== 'none' && sessions.length === 0) throw new Error('resumption needs a session');
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.worker());
  }

  /** Starts a new counting window; returns the counters of the previous one. */
  reset(): LoadCounters {
    const c = this.counters;
    this.counters = { good: 0, wrong: 0, errors: 0, latenciesMs: [] };
    return c;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    this.workers = [];
  }

  private async worker(): Promise<void> {
    while (this.running) {
      const session = this.resumption === 'none' ? undefined : this.sessions[this.next++ % this.sessions.length];
      try {
        const c: Connected<net.Socket> = this.secureContext === 'plain' ? await connectPlain(this.port) : await connect(this.port, this.secureContext, session);
        const counters = this.counters;
        const bytes = drain(c.socket);
        const intended = this.resumption === 'none' ? !c.reused : c.reused;
        if (intended) {
          counters.good++;
          counters.latenciesMs.push(c.latencyMs);
        } else {
          counters.wrong++;
        }
        if ((await bytes) !== GREETING.length) counters.errors++;
      } catch (e) {
        this.counters.errors++;
        this.lastError = e;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }
}

/** Opens `n` connections and keeps them (memory per idle connection). */
export async function openIdle(port: number, secureContext: tls.SecureContext, n: number, concurrency = 16): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < n) {
      started++;
      const { socket } = await connect(port, secureContext);
      socket.setTimeout(0); // idle on purpose
      sockets.push(socket);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return sockets;
}

export function closeAll(sockets: net.Socket[]): Promise<void> {
  return Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.destroyed) resolve();
          else {
            s.once('close', () => resolve());
            s.destroy();
          }
        }),
    ),
  ).then(() => undefined);
}

export interface BulkResult {
  bytes: number;
  ms: number;
}

/** One connection that reads everything the server sends; time from secureConnect to close. */
export async function bulkRead(port: number, secureContext: tls.SecureContext): Promise<BulkResult> {
  const { socket } = await connect(port, secureContext);
  const t0 = process.hrtime.bigint();
  const bytes = await drain(socket);
  return { bytes, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}
