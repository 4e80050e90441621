/**
 * Turns the measurements into rows (puretls with the noble provider, puretls with the
 * node:crypto provider, node:tls, and the two ratios to node:tls), a plain-text table, the
 * JSON file, a hand-written SVG bar chart of the ratios, and the figures block of
 * bench/README.md.
 */
import { KIND_LABEL, type PureOrNode, type ServerKind } from './common.js';
import type { InProcessResult, PrimitiveCost } from './inprocess.js';

export interface Row {
  section: string;
  scenario: string;
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  puretls: number | null;
  /** puretls with the node:crypto provider (null where that kind is not measured). */
  native: number | null;
  node: number | null;
  /**
   * puretls against node:tls, oriented like every ratio of the report: > 1 means puretls is
   * ahead. For a higher-is-better row (per second, per CPU second) puretls / node:tls; for a
   * lower-is-better one (µs, ms, bytes) node:tls / puretls, so the server CPU per handshake
   * gives the same ratio as the handshakes per CPU second. Null when either has no figure.
   */
  ratio: number | null;
  /** puretls+node-crypto against node:tls, oriented the same way. */
  nativeRatio: number | null;
  /** In the chart (higher-is-better rows only, so a bar right of 1.0 means puretls is ahead). */
  chart?: boolean;
  /** A target on the ratio, when the issue sets one. */
  target?: number;
  /** A target on the node-crypto ratio. */
  nativeTarget?: number;
  note?: string;
  /** Shown instead of the ratio (the TCP floor row has no ratio). */
  ratioLabel?: string;
}

export interface Target {
  name: string;
  goal: string;
  value: string;
  met: boolean;
  /** Shown for comparison; not a target of its own. */
  reference?: boolean;
}

export interface HandshakeFigures {
  hsPerSec: number;
  cpuUsPerHs: number;
  /** Of cpuUsPerHs: user and system (kernel: loopback TCP, accept, close) time. */
  userUsPerHs: number;
  systemUsPerHs: number;
  /** Main-thread GC pauses per handshake ('gc' performance entries). */
  gcUsPerHs: number;
  /** Of cpuUsPerHs: the main thread, and every other thread (V8's GC and compiler helpers, libuv's pool), from /proc. */
  mainThreadUsPerHs: number;
  helperThreadsUsPerHs: number;
  hsPerCpuSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Handshakes of the wrong kind or failed, over the measured windows. */
  wrong: number;
  errors: number;
  good: number;
}

export interface HandshakeRound extends HandshakeFigures {
  kind: ServerKind;
  round: number;
  windowMs: number;
  serverCpuShare: number;
}

export interface HandshakeScenario {
  resumption: 'none' | 'session-id' | 'ticket';
  /** Another certificate than the P-256 ECDSA one (the `rsa` part: 'RSA-2048'), with its suite. */
  certificate?: string;
  suite?: string;
  rounds: HandshakeRound[];
  summary: Record<ServerKind, HandshakeFigures>;
}

export interface BulkFigures {
  mibPerSec: number;
  cpuMsPerMiB: number;
  mibPerCpuSec: number;
}

export interface BulkScenario {
  suite: string;
  bytes: number;
  rounds: Array<BulkFigures & { kind: ServerKind; round: number }>;
  summary: Record<ServerKind, BulkFigures>;
}

export interface CacheFigures {
  hsPerSec: number;
  cpuUsPerHs: number;
  hsPerCpuSec: number;
  /** (heapUsed + external) growth per cached session, after a full gc. */
  bytesPerSession: number;
  rssPerSession: number;
  prefillMs: number;
  wrong: number;
  errors: number;
}

export interface CacheScenario {
  sessions: number;
  summary: Record<PureOrNode, CacheFigures>;
}

export interface IdleFigures {
  rssPerConnection: number;
  heapPerConnection: number;
}

export interface IdleScenario {
  connections: number;
  summary: Record<PureOrNode, IdleFigures>;
}

/**
 * Session-ID resumption across processes through Redis: the client takes its session from
 * one process and resumes on another, so every lookup goes to Redis (puretls's
 * RedisSessionStore; node:tls with the same store through `attach`). Beside it, in the same
 * run and rounds, the in-process caches (puretls's memory cache, node:tls's Map).
 */
export interface FleetScenario {
  redisVersion: string;
  rounds: Array<HandshakeRound & { store: 'redis' | 'memory' }>;
  summary: { redis: Record<PureOrNode, HandshakeFigures>; memory: Record<PureOrNode, HandshakeFigures> };
}

export interface BenchResults {
  handshakes: HandshakeScenario[];
  /** The same per-connection work over plain TCP: the floor under both servers' figures. */
  tcpFloor: HandshakeFigures | undefined;
  inProcess: InProcessResult[];
  /** The same replays with the node:crypto provider (resumption only: its ECDSA signatures are not deterministic). */
  inProcessNative?: InProcessResult[];
  /** Single primitives, measured alone in the in-process child. */
  primitives: PrimitiveCost[];
  bulk: BulkScenario[];
  cache: CacheScenario[];
  idle: IdleScenario | undefined;
  fleet?: FleetScenario | undefined;
}

const SCENARIO_NAME = { none: 'Full handshake', 'session-id': 'Session-ID resumption', ticket: 'Ticket resumption' } as const;

/** How the ratio columns read, for the tables' headers and notes. */
export const RATIO_NOTE =
  'Ratios to node:tls read the same way in every row: above 1, puretls is ahead. For rates (per second, per CPU second) ' +
  'they are puretls / node:tls; for costs (µs, ms, bytes) node:tls / puretls, so "server CPU per handshake" gives ' +
  'the same ratio as "handshakes per CPU second".';

function row(r: Omit<Row, 'ratio' | 'nativeRatio' | 'native'> & { native?: number | null }): Row {
  const over = (v: number | null | undefined): number | null => {
    if (v === null || v === undefined || r.node === null || !(r.node > 0) || !(v > 0)) return null;
    return r.better === 'higher' ? v / r.node : r.node / v;
  };
  return { ...r, native: r.native ?? null, ratio: over(r.puretls), nativeRatio: over(r.native) };
}

/**
 * Issue 13's targets, ratios to node:tls in handshakes (or MiB) per server CPU second: the
 * pure build at >= 1.1 for resumption and >= 0.25 for full handshakes; with the node:crypto
 * provider >= 1.3 and >= 1.0, and >= 0.8 for bulk.
 */
const TARGETS = {
  pure: { none: 0.25, 'session-id': 1.1, ticket: 1.1 },
  native: { none: 1.0, 'session-id': 1.3, ticket: 1.3 },
  nativeBulk: 0.8,
} as const;

export function sessionsLabel(n: number): string {
  return n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n);
}

export function buildRows(results: BenchResults): Row[] {
  const rows: Row[] = [];
  const sockets = 'Handshakes over sockets (server process)';
  for (const h of results.handshakes) {
    const scenario = h.certificate ? `${SCENARIO_NAME[h.resumption]}, ${h.certificate} certificate (${h.suite})` : SCENARIO_NAME[h.resumption];
    // Issue 13's targets are for the ECDSA handshakes; the RSA row is reported beside node:tls only.
    const targeted = h.certificate === undefined;
    const p = h.summary.puretls;
    const q = h.summary.native;
    const n = h.summary.node;
    const ut = (f: HandshakeFigures): string => `${f.userUsPerHs.toFixed(0)}+${f.systemUsPerHs.toFixed(0)}`;
    const th = (f: HandshakeFigures): string => `${f.mainThreadUsPerHs.toFixed(0)}/${f.helperThreadsUsPerHs.toFixed(0)}`;
    rows.push(row({
      section: sockets,
      scenario,
      metric: 'handshakes per CPU second',
      unit: 'hs/CPU-s',
      better: 'higher',
      puretls: p.hsPerCpuSec,
      native: q?.hsPerCpuSec ?? null,
      node: n.hsPerCpuSec,
      chart: true,
      ...(targeted ? { target: TARGETS.pure[h.resumption], nativeTarget: TARGETS.native[h.resumption] } : {}),
    }));
    rows.push(row({
      section: sockets,
      scenario,
      metric: 'server CPU per handshake',
      unit: 'µs',
      better: 'lower',
      puretls: p.cpuUsPerHs,
      native: q?.cpuUsPerHs ?? null,
      node: n.cpuUsPerHs,
      note: `user+system: puretls ${ut(p)}${q ? `, +node-crypto ${ut(q)}` : ''}, node:tls ${ut(n)} µs; main thread/other threads: ${th(p)}${q ? `, ${th(q)}` : ''}, ${th(n)} µs`,
    }));
    rows.push(row({ section: sockets, scenario, metric: 'GC pauses per handshake (main thread)', unit: 'µs', better: 'lower', puretls: p.gcUsPerHs, native: q?.gcUsPerHs ?? null, node: n.gcUsPerHs }));
    rows.push(row({ section: sockets, scenario, metric: 'handshakes per second (wall)', unit: 'hs/s', better: 'higher', puretls: p.hsPerSec, native: q?.hsPerSec ?? null, node: n.hsPerSec, chart: true }));
    rows.push(row({ section: sockets, scenario, metric: 'latency p50', unit: 'ms', better: 'lower', puretls: p.p50Ms, native: q?.p50Ms ?? null, node: n.p50Ms }));
    rows.push(row({ section: sockets, scenario, metric: 'latency p99', unit: 'ms', better: 'lower', puretls: p.p99Ms, native: q?.p99Ms ?? null, node: n.p99Ms }));
    const bad = (f: HandshakeFigures | undefined): number => (f ? f.wrong + f.errors : 0);
    if (bad(p) + bad(q) + bad(n) > 0) {
      rows[rows.length - 6]!.note = `discarded (wrong kind/failed): puretls ${p.wrong}/${p.errors}${q ? `, +node-crypto ${q.wrong}/${q.errors}` : ''}, node:tls ${n.wrong}/${n.errors}`;
    }
  }
  if (results.tcpFloor) {
    const f = results.tcpFloor;
    const floor = (metric: string, unit: string, better: 'higher' | 'lower', v: number, note?: string): void => {
      rows.push({ section: sockets, scenario: 'No TLS: TCP floor (all pay it)', metric, unit, better, puretls: v, native: v, node: v, ratio: null, nativeRatio: null, ratioLabel: '(floor)', ...(note ? { note } : {}) });
    };
    floor('server CPU per connection', 'µs', 'lower', f.cpuUsPerHs, `user ${f.userUsPerHs.toFixed(0)} + system ${f.systemUsPerHs.toFixed(0)} µs; net.Server, same work, no TLS`);
    floor('connections per second (wall)', 'conn/s', 'higher', f.hsPerSec);
  }
  if (results.fleet) {
    const f = results.fleet;
    const section = `Session-ID resumption across processes through Redis (redis-server ${f.redisVersion}, loopback)`;
    for (const store of ['redis', 'memory'] as const) {
      const p = f.summary[store].puretls;
      const n = f.summary[store].node;
      const scenario = store === 'redis' ? 'another process, through Redis' : 'same process, in-memory cache (beside)';
      const discarded = p.wrong + n.wrong + p.errors + n.errors > 0 ? `; discarded: puretls ${p.wrong} wrong kind/${p.errors} failed, node:tls ${n.wrong}/${n.errors}` : '';
      const redisCost =
        store === 'redis'
          ? `; Redis adds ${(p.cpuUsPerHs - f.summary.memory.puretls.cpuUsPerHs).toFixed(0)} µs to puretls, ${(n.cpuUsPerHs - f.summary.memory.node.cpuUsPerHs).toFixed(0)} µs to node:tls`
          : '';
      rows.push(row({ section, scenario, metric: 'handshakes per CPU second', unit: 'hs/CPU-s', better: 'higher', puretls: p.hsPerCpuSec, node: n.hsPerCpuSec, chart: true }));
      rows.push(row({ section, scenario, metric: 'server CPU per handshake', unit: 'µs', better: 'lower', puretls: p.cpuUsPerHs, node: n.cpuUsPerHs, note: `user+system: puretls ${p.userUsPerHs.toFixed(0)}+${p.systemUsPerHs.toFixed(0)}, node:tls ${n.userUsPerHs.toFixed(0)}+${n.systemUsPerHs.toFixed(0)} µs${redisCost}${discarded}` }));
      rows.push(row({ section, scenario, metric: 'handshakes per second (wall)', unit: 'hs/s', better: 'higher', puretls: p.hsPerSec, node: n.hsPerSec }));
      rows.push(row({ section, scenario, metric: 'latency p50', unit: 'ms', better: 'lower', puretls: p.p50Ms, node: n.p50Ms }));
      rows.push(row({ section, scenario, metric: 'latency p99', unit: 'ms', better: 'lower', puretls: p.p99Ms, node: n.p99Ms }));
    }
  }
  const inproc = 'In process, server only (node:tls cannot replay recorded flights; node-crypto replays resumption only)';
  for (const r of results.inProcess) {
    const scenario = SCENARIO_NAME[r.scenario === 'full' ? 'none' : r.scenario];
    const q = results.inProcessNative?.find((x) => x.scenario === r.scenario);
    rows.push(row({ section: inproc, scenario, metric: 'handshakes per second per core', unit: 'hs/s', better: 'higher', puretls: r.handshakesPerSecond, native: q?.handshakesPerSecond ?? null, node: null }));
    rows.push(row({
      section: inproc,
      scenario,
      metric: 'server time per handshake',
      unit: 'µs',
      better: 'lower',
      puretls: r.usPerHandshake,
      native: q?.usPerHandshake ?? null,
      node: null,
      note: `first flight ${r.usFirstFlight.toFixed(0)} µs, second ${r.usSecondFlight.toFixed(0)} µs` + (q ? `; +node-crypto ${q.usFirstFlight.toFixed(0)} and ${q.usSecondFlight.toFixed(0)} µs` : ''),
    }));
  }
  for (const p of results.primitives) {
    rows.push(row({ section: inproc, scenario: 'one operation alone', metric: p.name, unit: 'µs', better: 'lower', puretls: p.us, node: null }));
  }
  for (const b of results.bulk) {
    const section = `Bulk transfer, one connection, 16 KiB records, ${b.bytes / 2 ** 20} MiB`;
    const p = b.summary.puretls;
    const q = b.summary.native;
    const n = b.summary.node;
    rows.push(row({ section, scenario: b.suite, metric: 'throughput (client side)', unit: 'MiB/s', better: 'higher', puretls: p.mibPerSec, native: q?.mibPerSec ?? null, node: n.mibPerSec, chart: true }));
    rows.push(row({ section, scenario: b.suite, metric: 'MiB per server CPU second', unit: 'MiB/CPU-s', better: 'higher', puretls: p.mibPerCpuSec, native: q?.mibPerCpuSec ?? null, node: n.mibPerCpuSec, chart: true, nativeTarget: TARGETS.nativeBulk }));
    rows.push(row({ section, scenario: b.suite, metric: 'server CPU per MiB', unit: 'ms', better: 'lower', puretls: p.cpuMsPerMiB, native: q?.cpuMsPerMiB ?? null, node: n.cpuMsPerMiB }));
  }
  const cacheSection = 'Cache scale: session-ID resumption with N sessions cached';
  for (const c of results.cache) {
    const scenario = `${sessionsLabel(c.sessions)} sessions`;
    const p = c.summary.puretls;
    const n = c.summary.node;
    rows.push(row({ section: cacheSection, scenario, metric: 'handshakes per CPU second', unit: 'hs/CPU-s', better: 'higher', puretls: p.hsPerCpuSec, node: n.hsPerCpuSec, chart: true }));
    rows.push(row({ section: cacheSection, scenario, metric: 'handshakes per second (wall)', unit: 'hs/s', better: 'higher', puretls: p.hsPerSec, node: n.hsPerSec }));
    rows.push(row({ section: cacheSection, scenario, metric: 'memory per cached session (heap+external)', unit: 'B', better: 'lower', puretls: p.bytesPerSession, node: n.bytesPerSession }));
    // RSS moves in pages and arenas: meaningless for a few thousand sessions.
    if (c.sessions >= 100_000) {
      rows.push(row({ section: cacheSection, scenario, metric: 'RSS per cached session', unit: 'B', better: 'lower', puretls: p.rssPerSession, node: n.rssPerSession }));
    }
  }
  if (results.idle) {
    const section = `Memory per idle connection (${results.idle.connections} connections)`;
    const p = results.idle.summary.puretls;
    const n = results.idle.summary.node;
    rows.push(row({ section, scenario: 'idle TLS connection', metric: 'RSS per connection', unit: 'B', better: 'lower', puretls: p.rssPerConnection, node: n.rssPerConnection }));
    rows.push(row({ section, scenario: 'idle TLS connection', metric: 'heap+external per connection', unit: 'B', better: 'lower', puretls: p.heapPerConnection, node: n.heapPerConnection }));
  }
  return rows;
}

export function buildTargets(results: BenchResults, rows: Row[]): Target[] {
  const targets: Target[] = [];
  for (const r of rows) {
    if (r.target !== undefined && r.ratio !== null) {
      targets.push({ name: `${r.scenario}: ${r.metric}, puretls / node:tls`, goal: `>= ${r.target.toFixed(2)}`, value: r.ratio.toFixed(2), met: r.ratio >= r.target });
    }
    if (r.nativeTarget !== undefined && r.nativeRatio !== null) {
      targets.push({
        name: `${r.scenario}: ${r.metric}, puretls+node-crypto / node:tls`,
        goal: `>= ${r.nativeTarget.toFixed(2)}`,
        value: r.nativeRatio.toFixed(2),
        met: r.nativeRatio >= r.nativeTarget,
      });
    }
  }
  const cache = results.cache;
  if (cache.length >= 2) {
    const small = cache[0]!;
    const big = cache[cache.length - 1]!;
    for (const kind of ['puretls', 'node'] as const) {
      const ratio = big.summary[kind].hsPerCpuSec / small.summary[kind].hsPerCpuSec;
      targets.push({
        name: `${KIND_LABEL[kind]} cache O(1): session-ID resumption per CPU second, ${sessionsLabel(big.sessions)} vs ${sessionsLabel(small.sessions)} cached`,
        goal: kind === 'puretls' ? '>= 0.90' : '(reference)',
        value: ratio.toFixed(2),
        met: ratio >= 0.9,
        ...(kind === 'puretls' ? {} : { reference: true }),
      });
    }
    const per = big.summary;
    targets.push({
      name: `memory per cached session (${sessionsLabel(big.sessions)})`,
      goal: 'reported beside node:tls',
      value: `puretls ${per.puretls.bytesPerSession.toFixed(0)} B, node:tls ${per.node.bytesPerSession.toFixed(0)} B`,
      met: true,
    });
  }
  if (results.idle) {
    const s = results.idle.summary;
    targets.push({
      name: 'memory per idle connection (RSS)',
      goal: 'reported beside node:tls',
      value: `puretls ${(s.puretls.rssPerConnection / 1024).toFixed(1)} KiB, node:tls ${(s.node.rssPerConnection / 1024).toFixed(1)} KiB`,
      met: true,
    });
  }
  return targets;
}

// ---------------------------------------------------------------------------------------
// Text

export function fmt(v: number | null, unit = ''): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  if (unit === 'B') return v >= 10240 ? `${(v / 1024).toFixed(1)} KiB` : `${v.toFixed(0)} B`;
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function ratioText(r: Row, which: 'pure' | 'native' = 'pure'): string {
  if (r.ratioLabel) return r.ratioLabel;
  const ratio = which === 'pure' ? r.ratio : r.nativeRatio;
  const target = which === 'pure' ? r.target : r.nativeTarget;
  if (ratio === null) return 'n/a';
  let s = ratio.toFixed(2);
  if (target !== undefined) s += ratio >= target ? ` (>= ${target.toFixed(2)}: met)` : ` (target ${target.toFixed(2)}: MISSED)`;
  return s;
}

export function textTable(rows: Row[], targets: Target[]): string {
  const out: string[] = [RATIO_NOTE];
  const widths = [30, 44, 14, 14, 14, 28, 28];
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  let section = '';
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      out.push('');
      out.push(section);
      out.push(line(['scenario', 'metric', 'puretls', '+node-crypto', 'node:tls', 'puretls vs node:tls', '+node-crypto vs node:tls']));
      out.push('-'.repeat(widths.reduce((a, b) => a + b + 2, 0)));
    }
    const unit = r.unit === 'B' ? '' : ` ${r.unit}`;
    const cell = (v: number | null): string => fmt(v, r.unit) + (v === null ? '' : unit);
    out.push(line([r.scenario, `${r.metric} (${r.better === 'higher' ? '↑' : '↓'})`, cell(r.puretls), cell(r.native), cell(r.node), ratioText(r), ratioText(r, 'native')]) + (r.note ? `   [${r.note}]` : ''));
  }
  out.push('');
  out.push('Targets');
  for (const t of targets) out.push(`  ${t.reference ? '      ' : t.met ? 'met   ' : 'MISSED'}  ${t.name}: ${t.value} (goal ${t.goal})`);
  return out.join('\n');
}

export function markdownTables(rows: Row[], targets: Target[]): string {
  const out: string[] = [RATIO_NOTE];
  let section = '';
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      out.push('');
      out.push(`**${section}**`);
      out.push('');
      out.push('| scenario | metric | puretls | puretls+node-crypto | node:tls | puretls vs node:tls | +node-crypto vs node:tls |');
      out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    }
    const unit = r.unit === 'B' ? '' : ` ${r.unit}`;
    const cell = (v: number | null): string => (v === null ? 'n/a' : fmt(v, r.unit) + unit);
    const metric = `${r.metric} (${r.better === 'higher' ? 'higher' : 'lower'} is better)${r.note ? `; ${r.note}` : ''}`;
    out.push(`| ${r.scenario} | ${metric} | ${cell(r.puretls)} | ${cell(r.native)} | ${cell(r.node)} | ${ratioText(r)} | ${ratioText(r, 'native')} |`);
  }
  out.push('');
  out.push('**Targets**');
  out.push('');
  out.push('| target | goal | this run | |');
  out.push('| --- | --- | --- | --- |');
  for (const t of targets) out.push(`| ${t.name} | ${t.goal} | ${t.value} | ${t.reference ? '' : t.met ? 'met' : '**missed**'} |`);
  return out.join('\n').trimStart();
}

// ---------------------------------------------------------------------------------------
// SVG: ratios on a log scale, bars growing from the 1.0 line (right: puretls ahead)

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface ChartBar {
  label: string;
  ratio: number;
  target?: number;
}

/** Bars grouped under headings: the rows marked for the chart, then any extra groups. */
export function chartGroups(rows: Row[], targets: Target[], results: BenchResults): Array<{ heading: string; bars: ChartBar[] }> {
  const groups: Array<{ heading: string; bars: ChartBar[] }> = [];
  for (const r of rows) {
    if (!r.chart || r.ratio === null || !(r.ratio > 0)) continue;
    const heading = r.section.replace(/ \(.*$/, '').replace(/,.*$/, '').replace(/:.*$/, '');
    let g = groups[groups.length - 1];
    if (!g || g.heading !== heading) groups.push((g = { heading, bars: [] }));
    g.bars.push({ label: `${r.scenario}: ${r.metric}`, ratio: r.ratio, ...(r.target !== undefined ? { target: r.target } : {}) });
    if (r.nativeRatio !== null && r.nativeRatio > 0) {
      g.bars.push({ label: `  +node-crypto: ${r.scenario}: ${r.metric}`, ratio: r.nativeRatio, ...(r.nativeTarget !== undefined ? { target: r.nativeTarget } : {}) });
    }
  }
  if (results.cache.length >= 2 && targets.length > 0) {
    const small = results.cache[0]!;
    const big = results.cache[results.cache.length - 1]!;
    const bars: ChartBar[] = [];
    for (const kind of ['puretls', 'node'] as const) {
      const ratio = big.summary[kind].hsPerCpuSec / small.summary[kind].hsPerCpuSec;
      bars.push({ label: `${KIND_LABEL[kind]}: ${sessionsLabel(big.sessions)} / ${sessionsLabel(small.sessions)} cached, per CPU second`, ratio, ...(kind === 'puretls' ? { target: 0.9 } : {}) });
    }
    groups.push({ heading: 'Cache growth: each server against itself (not puretls / node:tls)', bars });
  }
  return groups;
}

export function svgChart(groups: Array<{ heading: string; bars: ChartBar[] }>, subtitle: string): string {
  const labelW = 430;
  const plotW = 440;
  const rowH = 24;
  const headH = 26;
  const top = 70;
  const width = labelW + plotW + 70;
  const bodyH = groups.reduce((h, g) => h + headH + g.bars.length * rowH, 0);
  const height = top + bodyH + 60;
  const minLog = -5; // 1/32
  const maxLog = 2; // 4
  const x = (ratio: number): number => {
    const l = Math.min(maxLog, Math.max(minLog, Math.log2(ratio)));
    return labelW + ((l - minLog) / (maxLog - minLog)) * plotW;
  };
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="12" y="22" font-size="16" font-weight="bold">puretls / node:tls: right of 1.0, puretls is ahead (log scale)</text>`);
  out.push(`<text x="12" y="42" fill="#555">${esc(subtitle)}</text>`);
  for (let l = minLog; l <= maxLog; l++) {
    const gx = x(2 ** l).toFixed(1);
    out.push(`<line x1="${gx}" y1="${top - 8}" x2="${gx}" y2="${top + bodyH}" stroke="${l === 0 ? '#000' : '#ddd'}" stroke-width="${l === 0 ? 1.5 : 1}"/>`);
    const label = l >= 0 ? String(2 ** l) : `1/${2 ** -l}`;
    out.push(`<text x="${gx}" y="${top + bodyH + 16}" text-anchor="middle" fill="#555">${label}</text>`);
  }
  out.push(`<text x="${x(1).toFixed(1)}" y="${top - 12}" text-anchor="middle" font-weight="bold">1.0</text>`);
  let y = top;
  for (const g of groups) {
    out.push(`<text x="12" y="${y + 18}" font-weight="bold">${esc(g.heading)}</text>`);
    y += headH;
    for (const b of g.bars) {
      const x0 = x(1);
      const x1 = x(b.ratio);
      const good = b.target !== undefined ? b.ratio >= b.target : b.ratio >= 1;
      const colour = good ? '#2e8b57' : b.target !== undefined ? '#c0392b' : '#e08e0b';
      const label = b.label.length > 66 ? `${b.label.slice(0, 63)}...` : b.label;
      out.push(`<text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${esc(label)}</text>`);
      out.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 5}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${rowH - 9}" fill="${colour}"/>`);
      if (b.target !== undefined && b.target !== 1) {
        const tx = x(b.target).toFixed(1);
        out.push(`<line x1="${tx}" y1="${y + 1}" x2="${tx}" y2="${y + rowH - 1}" stroke="#000" stroke-width="1.5" stroke-dasharray="3,2"/>`);
      }
      out.push(`<text x="${(Math.max(x0, x1) + 6).toFixed(1)}" y="${y + 16}">${b.ratio.toFixed(2)}</text>`);
      y += rowH;
    }
  }
  out.push(
    `<text x="12" y="${height - 14}" fill="#555">Green: at or past its target (the dashed line; without a line, 1.0), or at least 1.0 where none is set. Red: short of its target. Orange: below 1.0, no target.</text>`,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->`. */
export function replaceBlock(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return text;
  return `${text.slice(0, a + start.length)}\n${content.trim()}\n${text.slice(b)}`;
}
