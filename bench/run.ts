/**
 * npm run bench [-- --quick | --profile | --only=sockets,rsa,fleet,inprocess,bulk,cache,idle,profile]
 *
 * puretls (noble provider), puretls with the node:crypto provider and node:tls (OpenSSL)
 * in one run, with the same node:tls client, the three servers measured in alternating
 * rounds (A B C, then C B A) so that noise on a shared machine hits all of them.
 * See bench/README.md for the method and what each figure means.
 */
import { fork, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { serverCertificate } from '../test/helpers/server-certs.js';
import { RedisServer } from '../test/helpers/redis.js';
import {
  BENCH_DIST_DIR,
  BULK_SUITES,
  KINDS,
  KIND_LABEL,
  PURE_AND_NODE,
  REPO_ROOT,
  RESULTS_DIR,
  SUITE,
  median,
  percentile,
  sleep,
  type MemorySample,
  type PureOrNode,
  type Resumption,
  type ServerConfig,
  type ServerKind,
  type ThreadCpu,
} from './common.js';
import type { InProcessResult, PrimitiveCost } from './inprocess.js';
import { ServerChild } from './server-child.js';
import { HandshakeLoad, bulkRead, clientContext, closeAll, fetchSession, openIdle, type LoadCounters } from './load.js';
import { perfAvailable, perfMarkdown, startPerfRecord, summarisePerf, type PerfSummary } from './perf.js';
import { profileMarkdown, summarise, type CpuProfile, type ProfileSummary } from './profile.js';
import {
  buildRows,
  buildTargets,
  chartGroups,
  markdownTables,
  replaceBlock,
  sessionsLabel,
  svgChart,
  textTable,
  type BenchResults,
  type BulkFigures,
  type BulkScenario,
  type CacheFigures,
  type CacheScenario,
  type FleetScenario,
  type HandshakeFigures,
  type HandshakeRound,
  type HandshakeScenario,
  type IdleScenario,
} from './report.js';

// ---------------------------------------------------------------------------------------
// Configuration

interface Settings {
  quick: boolean;
  concurrency: number;
  /** First warm-up of each server in a handshake scenario. */
  warmupMs: number;
  /** Load before each measured window (the connections in flight reach steady state). */
  settleMs: number;
  windowMs: number;
  rounds: number;
  bulkBytes: number;
  bulkRounds: number;
  cacheSizes: number[];
  cacheWindowMs: number;
  cacheRounds: number;
  /** Sessions the client resumes from, round robin, in the cache-scale runs. */
  cacheClientSessions: number;
  idleConnections: number;
  inProcessArgs: string[];
  profileMs: number;
}

const QUICK: Settings = {
  quick: true,
  concurrency: 8,
  warmupMs: 400,
  settleMs: 150,
  windowMs: 1000,
  rounds: 1,
  bulkBytes: 32 << 20,
  bulkRounds: 1,
  cacheSizes: [1_000, 100_000],
  cacheWindowMs: 800,
  cacheRounds: 1,
  cacheClientSessions: 8,
  idleConnections: 500,
  inProcessArgs: ['--quick'],
  profileMs: 2000,
};

const FULL: Settings = {
  quick: false,
  concurrency: 8,
  warmupMs: 1500,
  settleMs: 300,
  windowMs: 3000,
  rounds: 3,
  bulkBytes: 256 << 20,
  // With the node:crypto provider a round is about half a second of server CPU, and two
  // rounds of one run differed by half: the median of four is steadier.
  bulkRounds: 4,
  cacheSizes: [1_000, 100_000, 1_000_000],
  cacheWindowMs: 2500,
  cacheRounds: 2,
  cacheClientSessions: 16,
  idleConnections: 500,
  inProcessArgs: [],
  profileMs: 4000,
};

const PARTS = ['sockets', 'rsa', 'fleet', 'inprocess', 'bulk', 'cache', 'idle', 'profile'] as const;
type Part = (typeof PARTS)[number];

function parseArgs(argv: string[]): { settings: Settings; parts: Set<Part>; output: 'latest' | 'quick' | 'partial' } {
  const quick = argv.includes('--quick');
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  let parts: Set<Part>;
  if (argv.includes('--profile')) parts = new Set(['profile']);
  else if (only) {
    parts = new Set(only.split(',').map((p) => p.trim()) as Part[]);
    for (const p of parts) if (!PARTS.includes(p)) throw new Error(`unknown part '${p}' (known: ${PARTS.join(', ')})`);
  } else parts = new Set(quick ? PARTS.filter((p) => p !== 'profile') : PARTS);
  const unknown = argv.filter((a) => a !== '--quick' && a !== '--profile' && !a.startsWith('--only='));
  if (unknown.length > 0) throw new Error(`unknown arguments: ${unknown.join(' ')} (use --quick, --profile, --only=${PARTS.join(',')})`);
  const output = quick ? 'quick' : only || argv.includes('--profile') ? 'partial' : 'latest';
  return { settings: quick ? QUICK : FULL, parts, output };
}

/** The `rsa` part: full handshakes with an RSA-2048 certificate (made by the openssl CLI) and an ECDHE-RSA suite. */
const RSA_SUITE = 'ECDHE-RSA-AES128-GCM-SHA256';
const rsaCertificate = (): { keyPem: string; certPem: string } => serverCertificate('rsa2048');

function log(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - startedAt) / 1000).toFixed(1)}s] ${message}\n`);
}
const startedAt = performance.now();

// ---------------------------------------------------------------------------------------
// Server children

ServerChild.log = log;

async function startAll(
  config: Omit<ServerConfig, 'keyPem' | 'certPem' | 'kind'>,
  certificate?: { keyPem: string; certPem: string },
): Promise<Record<ServerKind, ServerChild>> {
  const [puretls, native, node] = await Promise.all(KINDS.map((kind) => ServerChild.start({ ...config, kind }, [], certificate)));
  return { puretls: puretls!, native: native!, node: node! };
}

/** puretls (noble provider) and node:tls only: the fleet reports no node:crypto row. */
async function startPureAndNode(config: Omit<ServerConfig, 'keyPem' | 'certPem' | 'kind'>): Promise<Record<PureOrNode, ServerChild>> {
  const [puretls, node] = await Promise.all(PURE_AND_NODE.map((kind) => ServerChild.start({ ...config, kind })));
  return { puretls: puretls!, node: node! };
}

async function exitAll(servers: Partial<Record<ServerKind, ServerChild>>): Promise<void> {
  await Promise.all(Object.values(servers).map((server) => server.exit()));
}

/** Alternating order: A B C in even rounds, C B A in odd ones. */
function order<K extends ServerKind = ServerKind>(round: number, kinds: readonly K[] = KINDS as readonly K[]): readonly K[] {
  return round % 2 === 0 ? kinds : [...kinds].reverse();
}

// ---------------------------------------------------------------------------------------
// Handshakes over sockets

interface Window {
  windowMs: number;
  cpuUs: number;
  userUs: number;
  systemUs: number;
  gcUs: number;
  threads: ThreadCpu[];
  serverGood: number;
  serverWrong: number;
  serverErrors: number;
  client: LoadCounters;
}

/** Runs the load, then one measured window of `windowMs` on the server's CPU clock. */
async function measuredWindow(server: ServerChild, load: HandshakeLoad, resumption: Resumption, settleMs: number, windowMs: number): Promise<Window> {
  load.start();
  await sleep(settleMs);
  await server.request({ type: 'mark' }, 'marked');
  load.reset();
  const t0 = performance.now();
  await sleep(windowMs);
  const report = await server.request({ type: 'report' }, 'report');
  const client = load.reset();
  const ms = performance.now() - t0;
  await load.stop();
  const c = report.counts;
  const good = resumption === 'none' ? c.full : resumption === 'session-id' ? c.sessionId : c.ticket;
  const all = c.full + c.sessionId + c.ticket;
  return {
    windowMs: ms,
    cpuUs: report.cpuUs,
    userUs: report.userUs,
    systemUs: report.systemUs,
    gcUs: report.gcUs,
    threads: report.threads,
    serverGood: good,
    serverWrong: all - good,
    serverErrors: c.errors,
    client,
  };
}

function threadUs(threads: ThreadCpu[], name: string): number {
  return threads.find((t) => t.name === name)?.us ?? 0;
}

function handshakeFigures(w: Window): HandshakeFigures & { serverCpuShare: number } {
  const good = Math.max(1, w.serverGood);
  const cpuUsPerHs = w.cpuUs / good;
  return {
    hsPerSec: w.client.good / (w.windowMs / 1000),
    cpuUsPerHs,
    userUsPerHs: w.userUs / good,
    systemUsPerHs: w.systemUs / good,
    gcUsPerHs: w.gcUs / good,
    mainThreadUsPerHs: threadUs(w.threads, 'main thread') / good,
    helperThreadsUsPerHs: (w.threads.reduce((n, t) => n + t.us, 0) - threadUs(w.threads, 'main thread')) / good,
    hsPerCpuSec: 1e6 / cpuUsPerHs,
    p50Ms: percentile(w.client.latenciesMs, 50),
    p99Ms: percentile(w.client.latenciesMs, 99),
    wrong: w.serverWrong + w.client.wrong,
    errors: w.serverErrors + w.client.errors,
    good: w.client.good,
    serverCpuShare: w.cpuUs / 1000 / w.windowMs,
  };
}

function summariseRounds(rounds: HandshakeRound[], latencies: number[]): HandshakeFigures {
  return {
    hsPerSec: median(rounds.map((r) => r.hsPerSec)),
    cpuUsPerHs: median(rounds.map((r) => r.cpuUsPerHs)),
    userUsPerHs: median(rounds.map((r) => r.userUsPerHs)),
    systemUsPerHs: median(rounds.map((r) => r.systemUsPerHs)),
    gcUsPerHs: median(rounds.map((r) => r.gcUsPerHs)),
    mainThreadUsPerHs: median(rounds.map((r) => r.mainThreadUsPerHs)),
    helperThreadsUsPerHs: median(rounds.map((r) => r.helperThreadsUsPerHs)),
    hsPerCpuSec: median(rounds.map((r) => r.hsPerCpuSec)),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    wrong: rounds.reduce((n, r) => n + r.wrong, 0),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    good: rounds.reduce((n, r) => n + r.good, 0),
  };
}

/** A certificate other than the P-256 one, the suite to use with it, and its label in the report. */
interface OtherCertificate {
  label: string;
  suite: string;
  keyPem: string;
  certPem: string;
}

async function handshakeScenario(resumption: Resumption, s: Settings, other?: OtherCertificate): Promise<HandshakeScenario> {
  log(`sockets: ${resumption === 'none' ? 'full handshakes' : `${resumption} resumption`}${other ? `, ${other.label} certificate, ${other.suite}` : ''}`);
  const suite = other?.suite ?? SUITE;
  const servers = await startAll({ mode: 'greet', resumption, ciphers: suite }, other);
  const ctx = clientContext(suite);
  const loads = {} as Record<ServerKind, HandshakeLoad>;
  for (const kind of KINDS) {
    const sessions = resumption === 'none' ? [] : [await fetchSession(servers[kind].port, ctx)];
    loads[kind] = new HandshakeLoad(servers[kind].port, resumption, ctx, sessions, s.concurrency);
    loads[kind].start();
    await sleep(s.warmupMs);
    await loads[kind].stop();
  }
  const rounds: HandshakeRound[] = [];
  const latencies: Record<ServerKind, number[]> = { puretls: [], native: [], node: [] };
  for (let round = 0; round < s.rounds; round++) {
    for (const kind of order(round)) {
      const w = await measuredWindow(servers[kind], loads[kind], resumption, s.settleMs, s.windowMs);
      const f = handshakeFigures(w);
      rounds.push({ kind, round, windowMs: w.windowMs, ...f });
      latencies[kind].push(...w.client.latenciesMs);
      if (loads[kind].lastError) log(`  ${KIND_LABEL[kind]}: last client error: ${String(loads[kind].lastError)}`);
      log(
        `  round ${round + 1} ${KIND_LABEL[kind].padEnd(8)} ${f.hsPerSec.toFixed(0).padStart(6)} hs/s  ${f.cpuUsPerHs.toFixed(0).padStart(6)} µs CPU/hs` +
          ` (user ${f.userUsPerHs.toFixed(0)} + system ${f.systemUsPerHs.toFixed(0)}; GC ${f.gcUsPerHs.toFixed(0)}; main thread ${f.mainThreadUsPerHs.toFixed(0)}, others ${f.helperThreadsUsPerHs.toFixed(0)})` +
          `  (server CPU ${(f.serverCpuShare * 100).toFixed(0)}%, wrong ${f.wrong}, errors ${f.errors})`,
      );
    }
  }
  await exitAll(servers);
  const summary = {} as Record<ServerKind, HandshakeFigures>;
  for (const kind of KINDS) summary[kind] = summariseRounds(rounds.filter((r) => r.kind === kind), latencies[kind]);
  return { resumption, rounds, summary, ...(other ? { certificate: other.label, suite: other.suite } : {}) };
}

/**
 * The floor under every socket figure: a net.Server doing the same per-connection work
 * (write a few bytes, end) with no TLS, driven the same way. Both servers pay it.
 */
async function tcpFloor(s: Settings): Promise<HandshakeFigures> {
  log('sockets: TCP floor (no TLS)');
  const server = await ServerChild.start({ kind: 'node', plain: true, mode: 'greet', resumption: 'none', ciphers: SUITE });
  const load = new HandshakeLoad(server.port, 'none', 'plain', [], s.concurrency);
  load.start();
  await sleep(s.warmupMs);
  await load.stop();
  const rounds: HandshakeRound[] = [];
  const latencies: number[] = [];
  for (let round = 0; round < Math.min(2, s.rounds); round++) {
    const w = await measuredWindow(server, load, 'none', s.settleMs, s.windowMs);
    rounds.push({ kind: 'node', round, windowMs: w.windowMs, ...handshakeFigures(w) });
    latencies.push(...w.client.latenciesMs);
  }
  await server.exit();
  const f = summariseRounds(rounds, latencies);
  log(`  ${f.hsPerSec.toFixed(0)} connections/s  ${f.cpuUsPerHs.toFixed(0)} µs CPU/connection (user ${f.userUsPerHs.toFixed(0)} + system ${f.systemUsPerHs.toFixed(0)})`);
  return f;
}

// ---------------------------------------------------------------------------------------
// A fleet: session-ID resumption across processes through Redis

/**
 * The client takes its session from one process and resumes it on another of the same kind,
 * so every resumption is a lookup in Redis: puretls with a RedisSessionStore, node:tls with
 * the same store through `attach` (as an application shares sessions with node:tls). In the
 * same rounds, the in-process caches of the session-ID scenario, for comparison.
 */
async function fleetScenario(s: Settings): Promise<FleetScenario> {
  log('fleet: session-ID resumption across processes through Redis, and in-process caches beside');
  const redis = await RedisServer.start();
  try {
    const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? 'unknown';
    const store = { url: redis.url, secretHex: randomBytes(32).toString('hex') };
    const base = { mode: 'greet' as const, resumption: 'session-id' as const, ciphers: SUITE };
    // Makers hand out the sessions; the measured servers are other processes that only see Redis.
    const [makers, viaRedis, inMemory] = [await startPureAndNode({ ...base, store }), await startPureAndNode({ ...base, store }), await startPureAndNode(base)];
    const ctx = clientContext(SUITE);
    const variants = [
      { store: 'redis' as const, servers: viaRedis, sessionsFrom: makers },
      { store: 'memory' as const, servers: inMemory, sessionsFrom: inMemory },
    ];
    const loads = new Map<string, HandshakeLoad>();
    for (const v of variants) {
      for (const kind of PURE_AND_NODE) {
        const session = await fetchSession(v.sessionsFrom[kind].port, ctx);
        const load = new HandshakeLoad(v.servers[kind].port, 'session-id', ctx, [session], s.concurrency);
        loads.set(`${v.store}/${kind}`, load);
        load.start();
        await sleep(s.warmupMs);
        await load.stop();
      }
    }
    const rounds: FleetScenario['rounds'] = [];
    const latencies = new Map<string, number[]>();
    for (let round = 0; round < s.rounds; round++) {
      for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
        for (const kind of order(round, PURE_AND_NODE)) {
          const id = `${v.store}/${kind}`;
          const w = await measuredWindow(v.servers[kind], loads.get(id)!, 'session-id', s.settleMs, s.windowMs);
          const f = handshakeFigures(w);
          rounds.push({ kind, round, windowMs: w.windowMs, store: v.store, ...f });
          latencies.set(id, [...(latencies.get(id) ?? []), ...w.client.latenciesMs]);
          log(
            `  round ${round + 1} ${v.store.padEnd(6)} ${KIND_LABEL[kind].padEnd(8)} ${f.hsPerSec.toFixed(0).padStart(6)} hs/s  ${f.cpuUsPerHs.toFixed(0).padStart(6)} µs CPU/hs` +
              `  p50 ${f.p50Ms.toFixed(1)} ms  (server CPU ${(f.serverCpuShare * 100).toFixed(0)}%, wrong ${f.wrong}, errors ${f.errors})`,
          );
        }
      }
    }
    await Promise.all([exitAll(makers), exitAll(viaRedis), exitAll(inMemory)]);
    const summary = { redis: {}, memory: {} } as FleetScenario['summary'];
    for (const v of variants) {
      for (const kind of PURE_AND_NODE) {
        summary[v.store][kind] = summariseRounds(rounds.filter((r) => r.store === v.store && r.kind === kind), latencies.get(`${v.store}/${kind}`) ?? []);
      }
    }
    return { redisVersion, rounds, summary };
  } finally {
    await redis.dispose();
  }
}

// ---------------------------------------------------------------------------------------
// In process

function inProcess(s: Settings, provider: 'noble' | 'node' = 'noble'): Promise<{ results: InProcessResult[]; primitives: PrimitiveCost[] }> {
  log(`in process: recorded flights replayed against the sans-IO server (${provider} provider)`);
  return new Promise<{ results: InProcessResult[]; primitives: PrimitiveCost[] }>((resolve, reject) => {
    const args = provider === 'node' ? [...s.inProcessArgs, '--provider=node'] : s.inProcessArgs;
    const child = fork(path.join(BENCH_DIST_DIR, 'inprocess.js'), args, { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let got: { results: InProcessResult[]; primitives: PrimitiveCost[] } | undefined;
    child.on('message', (m: { type: string; results: InProcessResult[]; primitives: PrimitiveCost[] }) => {
      if (m.type === 'inprocess') got = { results: m.results, primitives: m.primitives };
    });
    child.on('exit', (code) => (got ? resolve(got) : reject(new Error(`in-process bench exited with ${code}`))));
  }).then((got) => {
    for (const r of got.results) log(`  ${r.scenario.padEnd(10)} ${r.handshakesPerSecond.toFixed(0).padStart(6)} hs/s/core  ${r.usPerHandshake.toFixed(0)} µs`);
    for (const p of got.primitives) log(`  ${p.name}: ${p.us.toFixed(1)} µs`);
    return got;
  });
}

// ---------------------------------------------------------------------------------------
// Bulk

async function bulkScenario(suite: string, s: Settings): Promise<BulkScenario> {
  log(`bulk: ${suite}, ${s.bulkBytes / 2 ** 20} MiB`);
  const servers = await startAll({ mode: 'bulk', resumption: 'none', ciphers: suite, bulkBytes: s.bulkBytes, bulkChunk: 16384 });
  const ctx = clientContext(suite);
  // One unmeasured transfer per server first: the JIT, the record buffers and the cipher's
  // tables are warm before the first measured round, as in the handshake scenarios.
  for (const kind of KINDS) await Promise.all([bulkRead(servers[kind].port, ctx), servers[kind].waitFor('bulk')]);
  const rounds: BulkScenario['rounds'] = [];
  for (let round = 0; round < s.bulkRounds; round++) {
    for (const kind of order(round)) {
      const server = servers[kind];
      const [client, srv] = await Promise.all([bulkRead(server.port, ctx), server.waitFor('bulk')]);
      if (client.bytes !== s.bulkBytes) throw new Error(`${kind}: the client read ${client.bytes} bytes, not ${s.bulkBytes}`);
      const mib = client.bytes / 2 ** 20;
      const f: BulkFigures = { mibPerSec: mib / (client.ms / 1000), cpuMsPerMiB: srv.cpuUs / 1000 / mib, mibPerCpuSec: mib / (srv.cpuUs / 1e6) };
      rounds.push({ kind, round, ...f });
      log(`  round ${round + 1} ${KIND_LABEL[kind].padEnd(8)} ${f.mibPerSec.toFixed(1).padStart(7)} MiB/s  ${f.cpuMsPerMiB.toFixed(2)} ms CPU/MiB`);
    }
  }
  await exitAll(servers);
  const summary = {} as Record<ServerKind, BulkFigures>;
  for (const kind of KINDS) {
    const mine = rounds.filter((r) => r.kind === kind);
    summary[kind] = {
      mibPerSec: median(mine.map((r) => r.mibPerSec)),
      cpuMsPerMiB: median(mine.map((r) => r.cpuMsPerMiB)),
      mibPerCpuSec: median(mine.map((r) => r.mibPerCpuSec)),
    };
  }
  return { suite, bytes: s.bulkBytes, rounds, summary };
}

// ---------------------------------------------------------------------------------------
// Cache scale

async function cacheScenario(sessions: number, index: number, s: Settings): Promise<CacheScenario> {
  log(`cache scale: ${sessionsLabel(sessions)} sessions cached`);
  const summary = {} as CacheScenario['summary'];
  const ctx = clientContext(SUITE);
  for (const kind of order(index, PURE_AND_NODE)) {
    const server = await ServerChild.start({ kind, mode: 'greet', resumption: 'session-id', ciphers: SUITE, prefill: sessions });
    const prefill = server.prefill!;
    const heap = (m: MemorySample): number => m.heapUsed + m.external;
    const clientSessions: Buffer[] = [];
    for (let i = 0; i < s.cacheClientSessions; i++) clientSessions.push(await fetchSession(server.port, ctx));
    const load = new HandshakeLoad(server.port, 'session-id', ctx, clientSessions, s.concurrency);
    load.start();
    await sleep(s.warmupMs);
    await load.stop();
    const figures: HandshakeFigures[] = [];
    for (let r = 0; r < s.cacheRounds; r++) figures.push(handshakeFigures(await measuredWindow(server, load, 'session-id', s.settleMs, s.cacheWindowMs)));
    await server.exit();
    const f: CacheFigures = {
      hsPerSec: median(figures.map((x) => x.hsPerSec)),
      cpuUsPerHs: median(figures.map((x) => x.cpuUsPerHs)),
      hsPerCpuSec: median(figures.map((x) => x.hsPerCpuSec)),
      bytesPerSession: (heap(prefill.after) - heap(prefill.before)) / sessions,
      rssPerSession: (prefill.after.rss - prefill.before.rss) / sessions,
      prefillMs: prefill.ms,
      wrong: figures.reduce((n, x) => n + x.wrong, 0),
      errors: figures.reduce((n, x) => n + x.errors, 0),
    };
    summary[kind] = f;
    log(
      `  ${KIND_LABEL[kind].padEnd(8)} ${f.hsPerCpuSec.toFixed(0).padStart(6)} hs/CPU-s  ${f.bytesPerSession.toFixed(0)} B/session (heap+external)` +
        `  ${f.rssPerSession.toFixed(0)} B/session RSS  prefill ${f.prefillMs.toFixed(0)} ms  wrong ${f.wrong} errors ${f.errors}`,
    );
  }
  return { sessions, summary };
}

// ---------------------------------------------------------------------------------------
// Idle connections

async function waitForConnections(server: ServerChild, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await server.request({ type: 'connections' }, 'connections')).count === n) return;
    await sleep(20);
  }
  throw new Error(`${server.kind}: the server never reached ${n} connections`);
}

async function idleScenario(s: Settings): Promise<IdleScenario> {
  log(`memory: ${s.idleConnections} idle connections per server`);
  const ctx = clientContext(SUITE);
  const summary = {} as IdleScenario['summary'];
  for (const kind of PURE_AND_NODE) {
    const server = await ServerChild.start({ kind, mode: 'idle', resumption: 'none', ciphers: SUITE });
    // Warm the code paths (and the allocator), then measure from an empty server.
    await closeAll(await openIdle(server.port, ctx, 50));
    await waitForConnections(server, 0);
    const before = await server.memory();
    const sockets = await openIdle(server.port, ctx, s.idleConnections);
    await waitForConnections(server, s.idleConnections);
    await sleep(100);
    const after = await server.memory();
    await closeAll(sockets);
    await server.exit();
    const n = s.idleConnections;
    summary[kind] = {
      rssPerConnection: (after.rss - before.rss) / n,
      heapPerConnection: (after.heapUsed + after.external - before.heapUsed - before.external) / n,
    };
    log(`  ${KIND_LABEL[kind].padEnd(8)} ${(summary[kind].rssPerConnection / 1024).toFixed(1)} KiB RSS/connection  ${(summary[kind].heapPerConnection / 1024).toFixed(1)} KiB heap+external/connection`);
  }
  return { connections: s.idleConnections, summary };
}

// ---------------------------------------------------------------------------------------
// Profiles of the puretls server

interface ProfileResult {
  kind: ServerKind;
  resumption: Resumption;
  view: 'sockets' | 'in-process';
  /** Socket view, measured without any profiler: server CPU per handshake and how it splits. */
  core?: UnprofiledSplit;
  file: string;
  cpuUsPerHs: number;
  /** V8's sampling profiler (the in-process view, and the socket view where perf is missing). */
  summary?: ProfileSummary;
  /** perf: every thread, native code included (the socket view). */
  perf?: PerfSummary;
}

interface UnprofiledSplit {
  /** From the window without profiler and without the core timing wrappers. */
  cpuUsPerHs: number;
  systemUsPerHs: number;
  gcUsPerHs: number;
  threads: ThreadCpu[];
  /**
   * puretls only: the fraction of the process's CPU spent inside ServerConnection calls,
   * measured in a window before, with every call timed (the wrappers' own getrusage calls
   * cost about 5% and would inflate the figures above); coreUsPerHs = coreShare × cpuUsPerHs.
   */
  coreShare?: number;
  coreUsPerHs?: number;
}

const goodOf = (resumption: Resumption, r: { counts: { full: number; sessionId: number; ticket: number } }): number =>
  Math.max(1, resumption === 'none' ? r.counts.full : resumption === 'session-id' ? r.counts.sessionId : r.counts.ticket);

/**
 * One server of `kind` under the socket view's load, in windows of `profileMs`:
 * 1. puretls only: every ServerConnection call timed on the process's CPU clock, for the
 *    core's share of the CPU (and nothing else: the timing costs about 5% of a resumption);
 * 2. the timing wrappers removed for good, no profiler: CPU per handshake, the kernel's
 *    part, GC pauses, each thread's CPU from /proc;
 * 3. under `perf record` (every thread, native code included; JavaScript named through
 *    --perf-basic-prof), or, where perf is missing, under V8's sampling profiler (puretls only).
 */
async function profileScenario(kind: ServerKind, resumption: Resumption, s: Settings, dir: string, usePerf: boolean): Promise<ProfileResult> {
  log(`profile: ${KIND_LABEL[kind]} server, ${resumption === 'none' ? 'full handshakes' : `${resumption} resumption`}${usePerf ? ' (perf)' : ' (V8 profiler)'}`);
  const instrument = kind !== 'node';
  const server = await ServerChild.start({ kind, mode: 'greet', resumption, ciphers: SUITE, instrument }, usePerf ? ['--perf-basic-prof'] : []);
  const ctx = clientContext(SUITE);
  const sessions = resumption === 'none' ? [] : [await fetchSession(server.port, ctx)];
  const load = new HandshakeLoad(server.port, resumption, ctx, sessions, s.concurrency);
  load.start();
  await sleep(s.warmupMs);
  let coreShare: number | undefined;
  if (instrument) {
    await server.request({ type: 'mark' }, 'marked');
    await sleep(s.profileMs);
    const timed = await server.request({ type: 'report' }, 'report');
    if (timed.coreNs !== undefined && timed.cpuUs > 0) coreShare = Math.min(1, timed.coreNs / 1000 / timed.cpuUs);
  }
  await server.request({ type: 'mark', instrument: false }, 'marked');
  await sleep(s.profileMs);
  const split = await server.request({ type: 'report' }, 'report');
  const n = goodOf(resumption, split);
  const cpuUsPerHs = split.cpuUs / n;
  const core: UnprofiledSplit = {
    cpuUsPerHs,
    systemUsPerHs: split.systemUs / n,
    gcUsPerHs: split.gcUs / n,
    threads: split.threads.map((t) => ({ name: t.name, us: t.us / n })),
    ...(coreShare !== undefined ? { coreShare, coreUsPerHs: coreShare * cpuUsPerHs } : {}),
  };
  let result: ProfileResult;
  if (usePerf) {
    const file = path.join(dir, `perf-${kind}-${resumption}.data`);
    await server.request({ type: 'mark' }, 'marked'); // the timing wrappers are already gone
    const recording = startPerfRecord(server.child.pid!, file);
    await sleep(s.profileMs);
    const report = await server.request({ type: 'report' }, 'report');
    await recording.stop();
    await load.stop();
    await server.exit();
    const perf = await summarisePerf(file, server.child.pid);
    result = { kind, resumption, view: 'sockets', file: path.relative(REPO_ROOT, file), cpuUsPerHs: report.cpuUs / goodOf(resumption, report), perf, core };
  } else {
    await server.request({ type: 'profile-start', intervalUs: 200 }, 'profile-started');
    await server.request({ type: 'mark' }, 'marked'); // the timing wrappers are already gone
    await sleep(s.profileMs);
    const report = await server.request({ type: 'report' }, 'report');
    const file = path.join(dir, `${kind}-${resumption}.cpuprofile`);
    await server.request({ type: 'profile-stop', file }, 'profile-stopped');
    await load.stop();
    await server.exit();
    const summary = summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, 25);
    result = { kind, resumption, view: 'sockets', file: path.relative(REPO_ROOT, file), cpuUsPerHs: report.cpuUs / goodOf(resumption, report), summary, core };
  }
  log(
    `  unprofiled: ${core.cpuUsPerHs.toFixed(0)} µs CPU/hs` +
      (core.coreShare !== undefined ? `, of which ${(core.coreShare * 100).toFixed(0)}% (${core.coreUsPerHs!.toFixed(0)} µs) inside ServerConnection (share from the timed window)` : '') +
      `, ${core.systemUsPerHs.toFixed(0)} µs system, GC pauses ${core.gcUsPerHs.toFixed(0)} µs; ` +
      core.threads.map((t) => `${t.name} ${t.us.toFixed(0)} µs`).join(', '),
  );
  return result;
}

/** The in-process replay of one scenario under the V8 profiler (--cpu-prof): our own code alone. */
function profileInProcess(scenario: 'full' | 'session-id' | 'ticket', dir: string): Promise<ProfileResult> {
  log(`profile: in process, ${scenario}`);
  const out = path.join(dir, `inprocess-${scenario}`);
  return new Promise<InProcessResult>((resolve, reject) => {
    const child = fork(path.join(BENCH_DIST_DIR, 'inprocess.js'), ['--quick', `--scenario=${scenario}`], {
      execArgv: ['--cpu-prof', `--cpu-prof-dir=${out}`, '--cpu-prof-interval=200'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: InProcessResult | undefined;
    child.on('message', (m: { type: string; results: InProcessResult[] }) => {
      if (m.type === 'inprocess') result = m.results[0];
    });
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`in-process profile exited with ${code}`))));
  }).then((result) => {
    const file = path.join(out, readdirSync(out).find((f) => f.endsWith('.cpuprofile'))!);
    const summary = summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, 25);
    const resumption = scenario === 'full' ? 'none' : scenario;
    return { kind: 'puretls', resumption, view: 'in-process', file: path.relative(REPO_ROOT, file), cpuUsPerHs: result.usPerHandshake, summary };
  });
}

/**
 * Per handshake, where puretls's server CPU goes against node:tls's whole cost and the
 * target's budget: the socket rounds, the profile step's unprofiled window (split by thread
 * from /proc, and by code: the core's share from the timed window, the rest; the kernel and
 * GC pauses as parts of those), the in-process replay and the TCP floor.
 */
function budgetMarkdown(results: BenchResults, profiles: ProfileResult[]): string | undefined {
  const cols = ['none', 'session-id', 'ticket'] as const;
  const hs = (r: Resumption) => results.handshakes.find((h) => h.resumption === r && h.certificate === undefined);
  const prof = (r: Resumption) => profiles.find((p) => p.view === 'sockets' && p.kind === 'puretls' && p.resumption === r)?.core;
  const inproc = (r: Resumption) => results.inProcess.find((x) => x.scenario === (r === 'none' ? 'full' : r));
  if (!cols.every((c) => hs(c) && prof(c) && inproc(c)) || !results.tcpFloor) return undefined;
  const us = (v: number): string => Math.round(v).toLocaleString('en-US');
  const line = (label: string, f: (r: Resumption) => string): string => `| ${label} | ${cols.map((c) => f(c)).join(' | ')} |`;
  const target = (r: Resumption): number => (r === 'none' ? 0.25 : 1.1);
  const thread = (r: Resumption, name: string): number => prof(r)!.threads.find((t) => t.name === name)?.us ?? 0;
  const others = (r: Resumption): number => prof(r)!.threads.reduce((n, t) => n + t.us, 0) - thread(r, 'main thread');
  const coreUs = (r: Resumption): number | undefined => prof(r)!.coreUsPerHs;
  const share = (r: Resumption): string => (coreUs(r) === undefined ? 'n/a' : `${us(coreUs(r)!)} (${((prof(r)!.coreShare ?? 0) * 100).toFixed(0)}%)`);
  const rest = (r: Resumption): string => (coreUs(r) === undefined ? 'n/a' : us(prof(r)!.cpuUsPerHs - coreUs(r)!));
  return [
    'Microseconds of server CPU per handshake, from the full run above. The indented rows split the profile step\'s ' +
      'unprofiled window (no profiler, no timing wrappers) two ways: by thread (main thread + other threads = the window\'s ' +
      'total) and by code (inside `ServerConnection` + the rest = the total, with the core\'s share measured in the window ' +
      'before, where every call was timed). Kernel time and GC pauses are parts of those rows, not further additions.',
    '',
    '| µs per handshake | full | session-ID | ticket |',
    '| --- | ---: | ---: | ---: |',
    line('node:tls, whole server process (sockets)', (r) => us(hs(r)!.summary.node.cpuUsPerHs)),
    line('**budget for puretls** (node:tls / target ratio: 0.25 full, 1.1 resumption)', (r) => `**${us(hs(r)!.summary.node.cpuUsPerHs / target(r))}**`),
    line('puretls, whole server process (sockets)', (r) => us(hs(r)!.summary.puretls.cpuUsPerHs)),
    line('puretls+node-crypto, whole server process (sockets)', (r) => us(hs(r)!.summary.native.cpuUsPerHs)),
    line('puretls in the profile step, unprofiled window', (r) => us(prof(r)!.cpuUsPerHs)),
    line('&nbsp;&nbsp;main thread (/proc)', (r) => us(thread(r, 'main thread'))),
    line('&nbsp;&nbsp;other threads: V8 GC and compiler helpers, libuv (/proc)', (r) => us(others(r))),
    line('&nbsp;&nbsp;inside `ServerConnection` (the sans-IO core: its share of the CPU in the timed window × this total)', (r) => share(r)),
    line('&nbsp;&nbsp;the rest: Node streams and sockets, events, GC outside the core (total − core)', (r) => rest(r)),
    line('&nbsp;&nbsp;of the total, in the kernel (system time, inside the core and outside it)', (r) => us(prof(r)!.systemUsPerHs)),
    line('&nbsp;&nbsp;of the total, GC pauses on the main thread (inside the core or not)', (r) => us(prof(r)!.gcUsPerHs)),
    line('puretls core in process (hot loop, no sockets)', (r) => us(inproc(r)!.usPerHandshake)),
    line('TCP floor: net.Server, same work, no TLS', () => us(results.tcpFloor!.cpuUsPerHs)),
    ...(results.primitives.length > 0
      ? ['', `Primitives alone: ${results.primitives.map((p) => `${p.name} ${us(p.us)} µs`).join('; ')}.`]
      : []),
  ].join('\n');
}

function profilesMarkdown(profiles: ProfileResult[], date: string): string {
  const title = { none: 'Full handshakes', 'session-id': 'Session-ID resumption', ticket: 'Ticket resumption' } as const;
  const usedPerf = profiles.some((p) => p.perf);
  const parts = [
    `Profiled ${date} with \`npm run bench -- --profile\`. ` +
      (usedPerf
        ? `Socket view: \`perf record\` (CPU clock, 999 Hz, every thread of the server process) with node's \`--perf-basic-prof\` ` +
          `naming the JavaScript, after the warm-up and two windows without any profiler (puretls: the first with every ` +
          `\`ServerConnection\` call timed, the second with the timing removed). Each sample counts where it ` +
          `landed (self time), so the groups add up to the process's measured CPU, native code, kernel and GC threads included; ` +
          `µs per handshake are the share times the CPU per handshake measured in the same window. `
        : `Socket view: the V8 sampling profiler (200 µs interval), which sees JavaScript and labels most native work as idle. `) +
      `In-process view: the replay under \`--cpu-prof\` (JavaScript only; there is no native work to miss). ` +
      `Raw data: \`bench/results/profiles/\` (not committed).`,
    '',
  ];
  for (const p of profiles) {
    const view = p.view === 'sockets' ? `${KIND_LABEL[p.kind]} server process over sockets` : 'puretls in process, server only';
    if (p.perf) {
      parts.push(perfMarkdown(`${title[p.resumption]}, ${view}`, p.perf, p.cpuUsPerHs, `${p.cpuUsPerHs.toFixed(0)} µs of server CPU per handshake while recorded.`));
    } else if (p.summary) {
      const per =
        p.view === 'sockets'
          ? `${p.cpuUsPerHs.toFixed(0)} µs of server CPU per handshake while profiled`
          : `${p.cpuUsPerHs.toFixed(0)} µs of server time per replayed handshake while profiled (the profile also holds the recording and warm-up)`;
      parts.push(profileMarkdown(`${title[p.resumption]}, ${view}`, p.summary, per));
    }
    const c = p.core;
    if (c) {
      const all = c.cpuUsPerHs;
      const pct = (v: number): string => `${((v / all) * 100).toFixed(0)}%`;
      parts.push(
        `Without a profiler or the core timing wrappers, in a window of the same length: ${all.toFixed(0)} µs of server CPU per handshake; by thread (/proc): ` +
          `${c.threads.map((t) => `${t.name} ${t.us.toFixed(0)} µs`).join(', ')}; ` +
          (c.coreShare !== undefined && c.coreUsPerHs !== undefined
            ? `by code: ${c.coreUsPerHs.toFixed(0)} µs (${pct(c.coreUsPerHs)}) inside \`ServerConnection\` calls and ${(all - c.coreUsPerHs).toFixed(0)} µs (${pct(all - c.coreUsPerHs)}) outside them ` +
              `(the core's share of the process CPU, ${(c.coreShare * 100).toFixed(0)}%, measured in a window before with every call timed on the CPU clock, GC that falls inside included, applied to this window's total); `
            : '') +
          `of the total, ${c.systemUsPerHs.toFixed(0)} µs (${pct(c.systemUsPerHs)}) in the kernel and ${c.gcUsPerHs.toFixed(0)} µs (${pct(c.gcUsPerHs)}) main-thread GC pauses (parts of the figures before, not additions).`,
        '',
      );
    }
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------
// Main

function gitDescribe(): string | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} (src/ modified)` : commit;
  } catch {
    return undefined;
  }
}

function packageVersion(name: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** True when `command` runs (`args` should make it print a version and exit). */
function toolAvailable(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Parts that need a program outside node: the fleet starts its own redis-server, the rsa part
 * makes its certificate with the openssl CLI. Where one is missing the part is skipped, with
 * a line saying so, rather than failing minutes into a full run.
 */
function skipPartsWithoutTools(parts: Set<Part>): string[] {
  const needs: Array<[Part, string, string[], string]> = [
    ['fleet', 'redis-server', ['--version'], 'redis-server is not installed (Debian: apt-get install redis-server)'],
    ['rsa', 'openssl', ['version'], 'the openssl CLI is not installed (Debian: apt-get install openssl); it makes the RSA-2048 certificate'],
  ];
  const skipped: string[] = [];
  for (const [part, command, args, why] of needs) {
    if (!parts.has(part) || toolAvailable(command, args)) continue;
    parts.delete(part);
    skipped.push(`${part}: ${why}`);
    log(`skipping ${part}: ${why}`);
  }
  return skipped;
}

async function main(): Promise<void> {
  const { settings: s, parts, output } = parseArgs(process.argv.slice(2));
  const skipped = skipPartsWithoutTools(parts);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const date = new Date().toISOString();
  const meta = {
    date,
    mode: s.quick ? 'quick' : 'full',
    parts: [...parts],
    skipped,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      loadAverageAtStart: os.loadavg(),
    },
    node: process.version,
    openssl: process.versions.openssl,
    noble: { curves: packageVersion('@noble/curves'), hashes: packageVersion('@noble/hashes'), ciphers: packageVersion('@noble/ciphers') },
    puretls: gitDescribe(),
    settings: s,
    setup: {
      suite: SUITE,
      serverGroups: 'X25519',
      clientGroups: 'X25519:P-256',
      certificate: 'P-256 ECDSA, self-signed (test/helpers/fixtures.ts testCertificate)',
      rsaPart: `full handshakes with an RSA-2048 certificate, self-signed (test/helpers/server-certs.ts, openssl CLI), suite ${RSA_SUITE}`,
      client: 'node:tls in the orchestrating process, one shared SecureContext',
    },
  };
  log(`${meta.mode} run (${[...parts].join(', ')}) on ${meta.machine.cores} × ${meta.machine.cpu}, node ${meta.node}, OpenSSL ${meta.openssl}`);

  const results: BenchResults = { handshakes: [], tcpFloor: undefined, inProcess: [], inProcessNative: [], primitives: [], bulk: [], cache: [], idle: undefined };
  if (parts.has('sockets')) {
    for (const r of ['none', 'session-id', 'ticket'] as const) results.handshakes.push(await handshakeScenario(r, s));
    results.tcpFloor = await tcpFloor(s);
  }
  if (parts.has('rsa')) {
    results.handshakes.push(await handshakeScenario('none', s, { label: 'RSA-2048', suite: RSA_SUITE, ...rsaCertificate() }));
  }
  if (parts.has('fleet')) results.fleet = await fleetScenario(s);
  if (parts.has('inprocess')) {
    const got = await inProcess(s);
    results.inProcess = got.results;
    results.primitives = got.primitives;
    results.inProcessNative = (await inProcess(s, 'node')).results;
  }
  if (parts.has('bulk')) for (const suite of BULK_SUITES) results.bulk.push(await bulkScenario(suite, s));
  if (parts.has('cache')) for (const [i, n] of s.cacheSizes.entries()) results.cache.push(await cacheScenario(n, i, s));
  if (parts.has('idle')) results.idle = await idleScenario(s);

  const profiles: ProfileResult[] = [];
  if (parts.has('profile')) {
    const dir = path.join(RESULTS_DIR, 'profiles');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const usePerf = perfAvailable();
    if (!usePerf) log('profile: perf is not available here; the socket view falls back to V8\'s profiler (JavaScript only)');
    for (const r of ['none', 'session-id', 'ticket'] as const) {
      for (const kind of usePerf ? KINDS : (['puretls'] as const)) profiles.push(await profileScenario(kind, r, s, dir, usePerf));
      profiles.push(await profileInProcess(r === 'none' ? 'full' : r, dir));
    }
  }

  const rows = buildRows(results);
  const targets = buildTargets(results, rows);
  if (rows.length > 0) console.log(textTable(rows, targets));

  const readmePath = path.join(REPO_ROOT, 'bench', 'README.md');
  let readme: string | undefined;
  try {
    readme = readFileSync(readmePath, 'utf8');
  } catch {
    readme = undefined;
  }
  const written: string[] = [];
  if (rows.length > 0) {
    const json = path.join(RESULTS_DIR, `${output}.json`);
    writeFileSync(json, `${JSON.stringify({ meta, results, rows, targets }, null, 2)}\n`);
    const svg = path.join(RESULTS_DIR, `${output}.svg`);
    const subtitle = `${date.slice(0, 10)}, ${meta.mode} run, ${meta.machine.cores} cores, node ${meta.node}, OpenSSL ${meta.openssl}, puretls ${meta.puretls ?? ''}`;
    writeFileSync(svg, svgChart(chartGroups(rows, targets, results), subtitle));
    written.push(json, svg);
    if (output === 'latest' && readme !== undefined) {
      const header =
        `Full run of ${date.slice(0, 10)} (puretls ${meta.puretls ?? 'unknown commit'}; node ${meta.node}, OpenSSL ${meta.openssl}; ` +
        `${meta.machine.cores} × ${meta.machine.cpu}, load average ${meta.machine.loadAverageAtStart.map((l) => l.toFixed(1)).join('/')} at start). ` +
        `Medians of ${s.rounds} alternating rounds of ${s.windowMs / 1000} s per server; ${s.concurrency} handshakes in flight.`;
      readme = replaceBlock(readme, 'bench:figures', `${header}\n\n${markdownTables(rows, targets)}`);
    }
  }
  if (profiles.length > 0) {
    const md = profilesMarkdown(profiles, date.slice(0, 10));
    // A quick profile is for a look only: it replaces neither the committed summary nor the README's.
    const file = path.join(RESULTS_DIR, s.quick ? path.join('profiles', 'summary.md') : 'profile.md');
    writeFileSync(file, `${md}\n`);
    written.push(file);
    if (readme !== undefined && !s.quick) readme = replaceBlock(readme, 'bench:profile', md);
    const budget = output === 'latest' ? budgetMarkdown(results, profiles) : undefined;
    if (readme !== undefined && budget) readme = replaceBlock(readme, 'bench:budget', budget);
    console.log(`\n${md}`);
  }
  if (readme !== undefined && !s.quick && (output === 'latest' || profiles.length > 0)) {
    writeFileSync(readmePath, readme);
    written.push(readmePath);
  }
  log(`done in ${((performance.now() - startedAt) / 1000).toFixed(0)} s; wrote ${written.map((f) => path.relative(REPO_ROOT, f)).join(', ')}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
