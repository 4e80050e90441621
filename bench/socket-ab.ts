/**
 * node dist/bench/socket-ab.js --baseline=DIR [--resumption=session-id|ticket|none] [--rounds=8] [--window=6] [--provider=noble|node]
 *
 * Two builds of puretls over sockets, interleaved: in each round the bench server child of
 * this build, of the baseline build (DIR holds its dist/, e.g. a `git worktree` of an older
 * commit built with `npx tsc -p .`) and node:tls each take a turn, in a rotated order, under
 * the same client (load.ts, 4 connections in flight), each server a child started as run.ts
 * starts them (server-child.ts). Each turn warms up for 2.5 s, then
 * counts the server's CPU over a window. Prints each round and, per server, the median CPU
 * per handshake and the median of the per-round ratios to node:tls. A slow period of the
 * machine then hits one round of every server instead of all rounds of one server, which
 * is what a change of a few percent needs on a shared machine.
 */
import path from 'node:path';
import { BENCH_DIST_DIR, SUITE, median, sleep, type Resumption, type ServerKind } from './common.js';
import { HandshakeLoad, clientContext, fetchSession } from './load.js';
import { ServerChild } from './server-child.js';

interface Turn {
  label: string;
  /** The dist/bench directory holding the build's server.js. */
  benchDir: string;
  kind: ServerKind;
}

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const baseline = arg('baseline', '');
if (!baseline) {
  process.stderr.write('usage: node dist/bench/socket-ab.js --baseline=DIR [--resumption=session-id|ticket|none] [--rounds=8] [--window=6] [--provider=noble|node]\n');
  process.exit(2);
}
const resumption = arg('resumption', 'session-id') as Resumption;
const rounds = Number(arg('rounds', '8'));
const windowMs = Number(arg('window', '6')) * 1000;
const kind: ServerKind = arg('provider', 'noble') === 'node' ? 'native' : 'puretls';
const turns: Turn[] = [
  { label: 'this build', benchDir: BENCH_DIST_DIR, kind },
  { label: 'baseline', benchDir: path.resolve(baseline, 'dist', 'bench'), kind },
  { label: 'node:tls', benchDir: BENCH_DIST_DIR, kind: 'node' },
];

const secureContext = clientContext(SUITE);

/** One turn: a fresh server child, warmed up, then its CPU per handshake over the window. */
async function cpuPerHandshake(turn: Turn): Promise<number> {
  const config = { kind: turn.kind, mode: 'greet', resumption, ciphers: SUITE } as const;
  const server = await ServerChild.start(config, [], undefined, turn.benchDir);
  try {
    const sessions = resumption === 'none' ? [] : [await fetchSession(server.port, secureContext)];
    const load = new HandshakeLoad(server.port, resumption, secureContext, sessions, 4);
    load.start();
    await sleep(2500);
    await server.request({ type: 'mark' }, 'marked');
    await sleep(windowMs);
    const report = await server.request({ type: 'report' }, 'report');
    await load.stop();
    const { full, sessionId, ticket } = report.counts;
    if (load.counters.errors || load.counters.wrong) throw new Error(`${turn.label}: ${load.counters.errors} errors, ${load.counters.wrong} handshakes of the wrong kind`);
    return report.cpuUs / (full + sessionId + ticket);
  } finally {
    await server.exit();
  }
}

const cpu = new Map<string, number[]>(turns.map((t) => [t.label, []]));
for (let round = 0; round < rounds; round++) {
  const line: string[] = [];
  for (let i = 0; i < turns.length; i++) {
    const turn = turns[(i + round) % turns.length]!;
    const us = await cpuPerHandshake(turn);
    cpu.get(turn.label)!.push(us);
    line.push(`${turn.label} ${us.toFixed(0)} µs`);
  }
  console.log(`round ${round + 1}: ${line.join(', ')}`);
}
const nodeTls = cpu.get('node:tls')!;
console.log(`\n${resumption === 'none' ? 'full handshakes' : `${resumption} resumption`}, ${kind === 'native' ? 'node:crypto provider' : 'pure provider'}: server CPU per handshake (median of ${rounds} rounds), and node:tls / it per round`);
for (const [label, us] of cpu) {
  const ratios = us.map((u, i) => nodeTls[i]! / u);
  console.log(`${label.padEnd(10)} ${median(us).toFixed(0).padStart(5)} µs   ratio ${median(ratios).toFixed(2)} (rounds: ${ratios.map((r) => r.toFixed(2)).join(' ')})`);
}
