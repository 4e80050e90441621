/**
 * npm run fuzz -- --seconds N [--target name[,name]] [--seed S] [--failures dir]
 *   Cycles through the targets for N seconds in total, mutating the seed corpus
 *   (fuzz/corpus/<target>/). Prints inputs per target, distinct outcomes, exceptions that
 *   escaped, internal_error alerts, other broken invariants, and the heap at the start and
 *   end; exits 1 on any violation or a heap that grew (and writes each failing input to
 *   fuzz/failures/ with a .json that says how to replay it).
 * npm run fuzz -- --replay fuzz/failures/X.bin    runs one saved input again
 * npm run fuzz -- --list                          lists the targets
 * npm run fuzz -- --record-corpus                 records the handshake and codec seeds again
 * npm run fuzz -- --capture-hellos                captures real clients' ClientHellos
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { concatBytes } from '../../src/codec/bytes.js';
import { captureHellos } from './capture.js';
import { CORPUS_DIR, REPO_ROOT, loadSeeds, writeSeed } from './corpus.js';
import { formatReport, runFuzz } from './engine.js';
import { parseStream } from './handshake-target.js';
import { recordHandshakeSeeds } from './seeds.js';
import { TARGETS, targetByName } from './targets.js';
import { authWorld, mainWorld } from './worlds.js';

/** Growth of the heap (after full collections) between the warm-up round and the end beyond which the run fails. */
export const HEAP_GROWTH_LIMIT = 32 * 2 ** 20;

function args(argv: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const value = argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') ? argv[++i]! : 'true';
    out.set(a.slice(2), [...(out.get(a.slice(2)) ?? []), value]);
  }
  return out;
}

/** Handshake messages (type byte, then body) found in a stream of records' plaintexts. */
function messagesOf(plaintexts: readonly { type: number; plaintext: Uint8Array }[]): Uint8Array[] {
  const joined = concatBytes(plaintexts.filter((r) => r.type === 22).map((r) => r.plaintext));
  const out: Uint8Array[] = [];
  for (let at = 0; at + 4 <= joined.length; ) {
    const length = (joined[at + 1]! << 16) | (joined[at + 2]! << 8) | joined[at + 3]!;
    if (at + 4 + length > joined.length) break;
    out.push(Uint8Array.from([joined[at]!, ...joined.subarray(at + 4, at + 4 + length)]));
    at += 4 + length;
  }
  return out;
}

function recordCorpus(log: (line: string) => void): void {
  const { seeds, serverFlights, tickets, sessions } = recordHandshakeSeeds();
  for (const s of seeds) writeSeed(s.target, s.name, s.bytes);
  log(`recorded ${seeds.length} handshake seeds`);
  // Message seeds: every message our clients sent (decrypted) and the server's own.
  const worlds = { main: mainWorld(), auth: authWorld() };
  const messages = new Map<string, Uint8Array>();
  for (const s of seeds) {
    const parsed = parseStream(s.target === 'client-auth' ? worlds.auth : worlds.main, s.bytes);
    for (const m of messagesOf(parsed.records)) if (m.length < 20_000) messages.set(`client-${m[0]}-${m.length}`, m);
  }
  for (const m of messagesOf(serverFlights.map((plaintext) => ({ type: 22, plaintext })))) messages.set(`server-${m[0]}-${m.length}`, m);
  for (const [name, m] of messages) writeSeed('messages', `${name}.bin`, m);
  log(`recorded ${messages.size} message seeds`);
  sessions.forEach((s, i) => writeSeed('session', `puretls-${i}.der`, s.toDER()));
  tickets.forEach((t, i) => writeSeed('ticket', `ticket-${i}.bin`, t));
  sessions.forEach((s, i) => writeSeed('ticket', `sealed-session-${i}.bin`, Uint8Array.from([0, ...s.toDER()])));
  log(`recorded ${sessions.length} sessions and ${tickets.length} tickets`);
}

async function main(): Promise<number> {
  const a = args(process.argv.slice(2));
  const log = (line: string): void => console.log(line);
  if (a.has('list')) {
    for (const t of TARGETS) console.log(`${t.name.padEnd(14)} ${t.description} (${loadSeeds(t.name).length} seed files)`);
    return 0;
  }
  if (a.has('record-corpus')) {
    recordCorpus(log);
    return 0;
  }
  if (a.has('capture-hellos')) {
    await captureHellos(log);
    return 0;
  }
  const replay = a.get('replay')?.[0];
  if (replay) {
    const meta = JSON.parse(readFileSync(replay.replace(/\.bin$/, '.json'), 'utf8')) as { target: string; cuts: number[] };
    const target = targetByName(meta.target);
    if (!target) throw new Error(`unknown target ${meta.target}`);
    const verdict = target.prepare().replay(new Uint8Array(readFileSync(replay)), meta.cuts);
    console.log(JSON.stringify(verdict, null, 2));
    return verdict.violation ? 1 : 0;
  }
  const names = (a.get('target') ?? []).flatMap((t) => t.split(','));
  const targets = names.length ? names.map((n) => targetByName(n) ?? (() => { throw new Error(`unknown target ${n}; --list shows them`); })()) : TARGETS;
  const seconds = Number(a.get('seconds')?.[0] ?? 60);
  const seed = Number(a.get('seed')?.[0] ?? Date.now() % 2 ** 31);
  const failuresDir = a.get('failures')?.[0] ?? join(REPO_ROOT, 'fuzz', 'failures');
  if (!existsSync(CORPUS_DIR)) throw new Error(`no corpus at ${CORPUS_DIR}`);
  log(`fuzzing ${targets.length} targets for ${seconds} s, seed ${seed} (replay a run with --seed ${seed})`);
  const report = runFuzz({ targets, seconds, seed, failuresDir, log });
  console.log(formatReport(report));
  const grew = report.heapEnd - report.heapStart;
  if (grew > HEAP_GROWTH_LIMIT) console.log(`FAIL: the heap grew by ${(grew / 2 ** 20).toFixed(1)} MiB`);
  if (report.violations > 0) console.log(`FAIL: ${report.violations} violations; inputs in ${failuresDir}`);
  return report.violations > 0 || grew > HEAP_GROWTH_LIMIT ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(2);
  },
);
