/**
 * A bench server child: one process per server kind, forked by run.ts with --expose-gc.
 * It listens on a loopback port, serves TLS with puretls (noble or node:crypto provider) or
 * node:tls configured alike, counts the handshakes by kind, and reports its own CPU time
 * (with its GC pauses and its threads' shares) and memory over IPC.
 *
 *   run.ts --start--> server.ts --listening(port)-->
 *          --mark-->            (reset counters, snapshot process.cpuUsage)  --marked-->
 *          --report-->          (CPU, GC pauses, CPU per thread since mark, handshakes by kind) --report-->
 *          --memory-->          (after a full gc)                             --memory-->
 *          --exit-->            process.exit(0) (so --cpu-prof writes its profile)
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector/promises';
import net, { type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import tls from 'node:tls';
import { ServerConnection } from '../src/connection.js';
import { TlsContext, type TlsContextOptions } from '../src/context.js';
import { NodeCryptoProvider } from '../src/node/node-crypto.js';
import { RedisSessionStore } from '../src/redis/index.js';
import { createServer as createPuretlsServer, type Server as PuretlsServer } from '../src/node/server.js';
import { MemorySessionCache, DEFAULT_CACHE_SIZE } from '../src/session/memory-cache.js';
import { Session } from '../src/session/session.js';
import type { TlsSocket } from '../src/node/socket.js';
import {
  GREETING,
  SERVER_CURVE,
  SID_CTX,
  fullGc,
  memorySample,
  type FromServer,
  type HandshakeCounts,
  type PrefillReport,
  type ServerConfig,
  type ThreadCpu,
  type ToServer,
} from './common.js';

/** OpenSSL's SSL_OP_NO_TICKET. */
const SSL_OP_NO_TICKET = 0x4000;
const TLS1_2_VERSION = 0x0303;
const AES128_GCM_ID = 0xc02b;
const X25519_ID = 29;
/** The session lifetime both servers use (node:tls's documented default). */
const SESSION_TIMEOUT = 300;

function send(message: FromServer): void {
  process.send!(message);
}

let counts: HandshakeCounts = { full: 0, sessionId: 0, ticket: 0, errors: 0 };
let markCpu = process.cpuUsage();
let markWall = process.hrtime.bigint();

/** Main-thread GC pauses as V8 reports them ('gc' performance entries), since the mark. */
let gcMs = 0;
let gcCount = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    gcCount++;
  }
}).observe({ entryTypes: ['gc'] });

/** Clock ticks per second of /proc's utime and stime. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Each thread's CPU ticks (user + system) and name, from /proc/self/task/<tid>/stat and comm. */
function threadTicks(): Map<number, { comm: string; ticks: number }> {
  const out = new Map<number, { comm: string; ticks: number }>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      out.set(Number(tid), { comm, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** node 20 leaves V8's platform workers (concurrent GC, compiler) named after the process; libuv's pool is "libuv-worker". */
function threadGroup(tid: number, comm: string): string {
  if (tid === process.pid) return 'main thread';
  if (comm.startsWith('libuv')) return 'libuv thread pool';
  return 'other threads';
}

let markThreads = threadTicks();

function threadCpuSinceMark(): ThreadCpu[] {
  const now = threadTicks();
  const groups = new Map<string, number>();
  for (const [tid, t] of now) {
    const ticks = t.ticks - (markThreads.get(tid)?.ticks ?? 0);
    const g = threadGroup(tid, t.comm);
    groups.set(g, (groups.get(g) ?? 0) + (ticks * 1e6) / CLOCK_TICKS);
  }
  return [...groups].map(([name, us]) => ({ name, us }));
}

/** Synthetic sessions: fresh random session IDs and master secrets, this server's sid_ctx. */
function syntheticSession(random: Uint8Array, at: number, now: number, sidCtx: Uint8Array): Session {
  return new Session({
    version: TLS1_2_VERSION,
    cipherSuite: AES128_GCM_ID,
    sessionId: random.slice(at, at + 32),
    masterSecret: random.slice(at + 32, at + 80),
    sidCtx,
    createdAt: now,
    timeout: SESSION_TIMEOUT,
    extendedMasterSecret: true,
    kexGroup: X25519_ID,
  });
}

/** Random bytes for `n` sessions' IDs and master secrets, made in batches. */
function* randomBatches(n: number): Generator<{ random: Uint8Array; count: number }> {
  const batch = 4096;
  const random = new Uint8Array(batch * 80);
  for (let done = 0; done < n; done += batch) {
    randomFillSync(random);
    yield { random, count: Math.min(batch, n - done) };
  }
}

function where(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('needle not found');
}

async function prefill(n: number, put: (batch: { random: Uint8Array; count: number }) => void): Promise<PrefillReport> {
  await fullGc();
  const before = memorySample();
  const t0 = performance.now();
  for (const batch of randomBatches(n)) put(batch);
  const ms = performance.now() - t0;
  await fullGc();
  return { sessions: n, before, after: memorySample(), ms };
}

/** CPU nanoseconds spent inside ServerConnection's methods since the last mark (instrumented runs only). */
let coreNs: number | undefined;
/**
 * Puts ServerConnection's own methods back. The profiled window runs without the wrappers:
 * their two getrusage calls per method call would otherwise show in the profile as about
 * 5% of a resumption's CPU that a server without the bench harness never spends.
 */
let removeInstrument: (() => void) | undefined;

/**
 * Wraps the sans-IO entry points the socket layer calls, to split the server's CPU into
 * core and the rest. Each call is timed on the process's CPU clock (getrusage, exact to the
 * microsecond), not the wall clock: on a busy machine a call's wall time includes waiting
 * for a core, which once made "the core" larger than the whole process's CPU. Helper
 * threads that run during a call (concurrent GC) are counted in it.
 */
function instrumentCore(): void {
  coreNs = 0;
  const proto = ServerConnection.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals: Array<[string, (...args: unknown[]) => unknown]> = [];
  removeInstrument = () => {
    for (const [name, original] of originals) proto[name] = original;
    coreNs = undefined;
  };
  for (const name of ['receive', 'takeOutput', 'takePlaintext', 'write', 'close']) {
    const original = proto[name]!;
    originals.push([name, original]);
    proto[name] = function (this: unknown, ...args: unknown[]): unknown {
      const t0 = process.cpuUsage();
      try {
        return original.apply(this, args);
      } finally {
        const t = process.cpuUsage(t0);
        coreNs! += (t.user + t.system) * 1000;
      }
    };
  }
}

async function startPuretls(config: ServerConfig): Promise<{ server: NetServer; prefill?: PrefillReport }> {
  if (config.instrument) instrumentCore();
  // Both puretls kinds are configured through one TlsContext, alike but for the crypto provider.
  const options: TlsContextOptions = {
    key: config.keyPem,
    cert: config.certPem,
    ciphers: config.ciphers,
    groups: SERVER_CURVE,
    sessionIdContext: SID_CTX,
    sessionTimeout: SESSION_TIMEOUT,
  };
  if (config.kind === 'native') options.crypto = new NodeCryptoProvider();
  if (config.resumption === 'session-id') options.tickets = false;
  // The default cache holds 20480 sessions (OpenSSL's default); the cache-scale runs need room for all.
  const cache = config.prefill ? new MemorySessionCache({ maxSize: Math.max(DEFAULT_CACHE_SIZE, config.prefill + 100_000) }) : undefined;
  if (cache) options.sessionCache = cache;
  if (config.store) options.sessionCache = await redisStore(config.store);
  const server: PuretlsServer = createPuretlsServer({ context: new TlsContext(options) }, (socket: TlsSocket) => {
    if (socket.isSessionReused()) {
      if (socket.connection.negotiated?.resumedBy === 'ticket') counts.ticket++;
      else counts.sessionId++;
    } else {
      counts.full++;
    }
    serve(socket, config);
  });
  server.on('tlsClientError', () => counts.errors++);
  let report: PrefillReport | undefined;
  if (cache && config.prefill) {
    const now = Math.floor(Date.now() / 1000);
    const sidCtx = new TextEncoder().encode(SID_CTX);
    report = await prefill(config.prefill, ({ random, count }) => {
      for (let i = 0; i < count; i++) cache.set(syntheticSession(random, i * 80, now, sidCtx));
    });
  }
  return report ? { server, prefill: report } : { server };
}

async function startNode(config: ServerConfig): Promise<{ server: NetServer; prefill?: PrefillReport }> {
  const options: tls.TlsOptions = {
    key: config.keyPem,
    cert: config.certPem,
    maxVersion: 'TLSv1.2',
    minVersion: 'TLSv1.2',
    ciphers: config.ciphers,
    ecdhCurve: SERVER_CURVE,
    sessionIdContext: SID_CTX,
    sessionTimeout: SESSION_TIMEOUT,
  };
  if (config.resumption === 'session-id') options.secureOptions = SSL_OP_NO_TICKET;
  const server = tls.createServer(options, (socket: tls.TLSSocket) => {
    if (socket.isSessionReused()) {
      if (config.resumption === 'session-id') counts.sessionId++;
      else counts.ticket++;
    } else {
      counts.full++;
    }
    serve(socket, config);
  });
  server.on('tlsClientError', () => counts.errors++);
  let report: PrefillReport | undefined;
  if (config.store) {
    (await redisStore(config.store)).attach(server, { sessionIdContext: SID_CTX });
  } else if (config.resumption === 'session-id') {
    // node:tls has no internal server cache: an application keeps sessions itself, as here.
    const store = new Map<string, Buffer>();
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      store.set(id.toString('hex'), data);
      done();
    });
    server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      done(null, store.get(id.toString('hex')) ?? null);
    });
    if (config.prefill) {
      // Realistic entries: OpenSSL's i2d_SSL_SESSION layout (what newSession hands over), each
      // in its own buffer as node:tls gives them, with its own session ID and master secret.
      const template = syntheticSession(new Uint8Array(80).fill(0xa5), 0, Math.floor(Date.now() / 1000), new TextEncoder().encode(SID_CTX)).toDER();
      const idAt = where(template, new Uint8Array(32).fill(0xa5));
      const secretAt = where(template.subarray(idAt + 32), new Uint8Array(48).fill(0xa5)) + idAt + 32;
      report = await prefill(config.prefill, ({ random, count }) => {
        for (let i = 0; i < count; i++) {
          const der = Buffer.allocUnsafeSlow(template.length);
          der.set(template);
          der.set(random.subarray(i * 80, i * 80 + 32), idAt);
          der.set(random.subarray(i * 80 + 32, i * 80 + 80), secretAt);
          store.set(der.toString('hex', idAt, idAt + 32), der);
        }
      });
    }
  }
  return report ? { server, prefill: report } : { server };
}

/** The fleet's session store, with its defaults (a 50 ms deadline); connected before the server listens. */
async function redisStore(store: NonNullable<ServerConfig['store']>): Promise<RedisSessionStore> {
  const s = new RedisSessionStore({ url: store.url, secret: new Uint8Array(Buffer.from(store.secretHex, 'hex')), log: (m) => process.stderr.write(`${m}\n`) });
  await s.connected;
  return s;
}

/** The TCP floor: the same per-connection work with no TLS (counted as full handshakes). */
function startPlain(config: ServerConfig): { server: NetServer; prefill?: PrefillReport } {
  const server = net.createServer((socket) => {
    counts.full++;
    serve(socket, config);
  });
  return { server };
}

/** The per-connection work, the same for both servers. */
function serve(socket: tls.TLSSocket | TlsSocket | Socket, config: ServerConfig): void {
  socket.on('error', () => undefined);
  if (config.mode === 'greet') {
    socket.end(GREETING);
    return;
  }
  if (config.mode === 'idle') {
    // An application reads what arrives (nothing here, but the client's FIN must be seen).
    socket.resume();
    return;
  }
  // bulk
  const total = config.bulkBytes ?? 64 << 20;
  const chunk = Buffer.alloc(config.bulkChunk ?? 16384, 0x61);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      sent += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end(() => {
      const cpu = process.cpuUsage(cpu0);
      send({ type: 'bulk', cpuUs: cpu.user + cpu.system, bytes: sent, wallMs: Number(process.hrtime.bigint() - t0) / 1e6 });
    });
  };
  pump();
}

let server: NetServer | undefined;
let profiler: InspectorSession | undefined;

process.on('message', (message: ToServer) => {
  void handle(message).catch((e: unknown) => send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
});

async function handle(message: ToServer): Promise<void> {
  switch (message.type) {
    case 'start': {
      const config = message.config;
      const started = config.plain ? startPlain(config) : config.kind === 'node' ? await startNode(config) : await startPuretls(config);
      server = started.server;
      server.on('connection', (s: Socket) => s.on('error', () => undefined));
      await new Promise<void>((resolve) => server!.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, resolve));
      const port = (server.address() as AddressInfo).port;
      send(started.prefill ? { type: 'listening', port, prefill: started.prefill } : { type: 'listening', port });
      return;
    }
    case 'mark':
      if (message.instrument === false) removeInstrument?.();
      counts = { full: 0, sessionId: 0, ticket: 0, errors: 0 };
      markCpu = process.cpuUsage();
      markWall = process.hrtime.bigint();
      markThreads = threadTicks();
      gcMs = 0;
      gcCount = 0;
      if (coreNs !== undefined) coreNs = 0;
      send({ type: 'marked' });
      return;
    case 'report': {
      const cpu = process.cpuUsage(markCpu);
      const wallMs = Number(process.hrtime.bigint() - markWall) / 1e6;
      // Let the GC observer hear of the last collections of the window.
      await new Promise((r) => setImmediate(r));
      const base = {
        type: 'report' as const,
        cpuUs: cpu.user + cpu.system,
        userUs: cpu.user,
        systemUs: cpu.system,
        wallMs,
        counts: { ...counts },
        gcUs: gcMs * 1000,
        gcCount,
        threads: threadCpuSinceMark(),
      };
      send(coreNs === undefined ? base : { ...base, coreNs });
      return;
    }
    case 'memory':
      await fullGc();
      send({ type: 'memory', memory: memorySample() });
      return;
    case 'connections':
      server!.getConnections((_err, count) => send({ type: 'connections', count }));
      return;
    case 'profile-start':
      // The inspector's Profiler is the sampler behind --cpu-prof, started after the warm-up.
      profiler = new InspectorSession();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: message.intervalUs });
      await profiler.post('Profiler.start');
      send({ type: 'profile-started' });
      return;
    case 'profile-stop': {
      const { profile } = await profiler!.post('Profiler.stop');
      profiler!.disconnect();
      profiler = undefined;
      writeFileSync(message.file, JSON.stringify(profile));
      send({ type: 'profile-stopped', file: message.file });
      return;
    }
    case 'exit':
      process.exit(0);
  }
}

process.on('disconnect', () => process.exit(0));
// Messages sent before a listener exists are lost: the parent waits for this before 'start'.
send({ type: 'ready' });
