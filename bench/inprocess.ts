/**
 * The in-process view: the sans-IO server alone, as Go's BenchmarkHandshakeServer and
 * rustls-bench measure it. A client's flights are recorded once against a server whose
 * randomness is taped; each iteration then replays the same flights against a fresh
 * ServerConnection fed the same tape, so it computes exactly the same handshake. Only
 * the server's calls are timed: `new ServerConnection`, `receive` and `takeOutput`.
 *
 * node:tls cannot be measured this way (its randomness cannot be seeded, so a recorded
 * client flight never matches a new server random); these rows are puretls alone.
 *
 * Run by run.ts as a child (results over IPC), or alone: node dist/bench/inprocess.js [--quick] [--provider=node]
 */
import { randomBytes as osRandomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { ServerConnection } from '../src/connection.js';
import { TlsContext, type TlsContextOptions } from '../src/context.js';
import { NobleCryptoProvider } from '../src/crypto/noble.js';
import { NodeCryptoProvider } from '../src/node/node-crypto.js';
import { testCertificate } from '../test/helpers/fixtures.js';
import { Group, Suite, TlsClient, hex, seededRandom, type ClientOptions, type RandomSource } from '../test/helpers/tls-client.js';
import { p256 } from '@noble/curves/nist.js';
import { AesGcm } from '../src/crypto/gcm.js';
import { x25519 } from '../src/crypto/x25519.js';
import { SERVER_CURVE, SID_CTX, SUITE, median } from './common.js';

export type InProcessScenario = 'full' | 'session-id' | 'ticket';

export interface InProcessResult {
  scenario: InProcessScenario;
  /** Handshakes per second of server time on one core (median of rounds). */
  handshakesPerSecond: number;
  /** Microseconds of server time per handshake (median of rounds). */
  usPerHandshake: number;
  /** Of which: answering the ClientHello, and processing the client's second flight. */
  usFirstFlight: number;
  usSecondFlight: number;
  rounds: number[];
  iterations: number;
}

/** The server's randomness: the OS normally, a recording or a replayed tape while benchmarking. */
let source: RandomSource = (n) => new Uint8Array(osRandomBytes(n));
/**
 * `--provider=node` replays with the node:crypto provider. Only resumption replays: its
 * ECDSA signatures are OpenSSL's (random k), so a recorded client Finished never matches a
 * replayed full handshake.
 */
const PROVIDER = process.argv.includes('--provider=node') ? 'node' : 'noble';
const crypto = PROVIDER === 'node' ? new NodeCryptoProvider({ randomBytes: (n) => source(n) }) : new NobleCryptoProvider({ randomBytes: (n) => source(n) });
const TICKET_KEYS = new Uint8Array(48).map((_, i) => i * 7 + 1);
/**
 * The server's clock, stopped: a full handshake's ticket holds the time in seconds, so a
 * replay checked in a later second than its recording would differ from it by that alone.
 */
const STOPPED_CLOCK = Date.now();

function recording(rng: RandomSource, tape: Uint8Array[]): RandomSource {
  return (n) => {
    const b = rng(n);
    tape.push(b.slice());
    return b;
  };
}

function playing(tape: readonly Uint8Array[]): RandomSource {
  let i = 0;
  return (n) => {
    const b = tape[i++];
    if (!b || b.length !== n) throw new Error('the replayed server asked for randomness the recording did not');
    return b.slice();
  };
}

interface Recorded {
  hello: Uint8Array;
  second: Uint8Array;
  serverFirst: Uint8Array;
  serverSecond: Uint8Array | undefined;
  tape: Uint8Array[];
  client: TlsClient;
}

function contextFor(scenario: InProcessScenario): TlsContext {
  const cert = testCertificate('P-256');
  const options: TlsContextOptions = {
    key: cert.keyPem,
    cert: cert.certPem,
    crypto,
    groups: SERVER_CURVE,
    ciphers: SUITE,
    sessionIdContext: SID_CTX,
    sessionTimeout: 300,
    now: () => STOPPED_CLOCK,
  };
  // As in the socket view: tickets off for session-ID resumption, the defaults (tickets and cache) otherwise.
  if (scenario === 'session-id') options.tickets = false;
  else options.ticketKeys = TICKET_KEYS;
  return new TlsContext(options);
}

/** As node:tls's client offers: X25519 and P-256, the one suite, EMS, an empty SessionTicket. */
const CLIENT: ClientOptions = {
  cipherSuites: [Suite.AES128_GCM],
  groups: [Group.x25519, Group.secp256r1],
  sessionTicket: new Uint8Array(0),
};

function recordHandshake(context: TlsContext, options: ClientOptions, seed: string): Recorded {
  const tape: Uint8Array[] = [];
  source = recording(seededRandom(`server ${seed}`), tape);
  try {
    const client = new TlsClient({ ...options, rng: seededRandom(`client ${seed}`), autoRespond: false });
    const server = new ServerConnection(context);
    const hello = client.start();
    server.receive(hello);
    const serverFirst = server.takeOutput()!;
    client.receive(serverFirst);
    const second = client.secondFlight();
    server.receive(second);
    const serverSecond = server.takeOutput();
    if (serverSecond) client.receive(serverSecond);
    if (!client.handshakeComplete || !server.handshakeComplete || server.error) {
      throw new Error(`recording failed: ${server.error?.message ?? 'incomplete handshake'}`);
    }
    return { hello, second, serverFirst, serverSecond, tape, client };
  } finally {
    source = (n) => new Uint8Array(osRandomBytes(n));
  }
}

/** The flights of the scenario's handshake, recorded once. */
function record(scenario: InProcessScenario, context: TlsContext): Recorded {
  const full = recordHandshake(context, CLIENT, `${scenario} full`);
  if (scenario === 'full') return full;
  const session = full.client.session!;
  if (scenario === 'session-id') delete session.ticket;
  else if (!session.ticket) throw new Error('no ticket was issued');
  const resumed = recordHandshake(context, { ...CLIENT, resume: session }, `${scenario} resume`);
  if (!resumed.client.resumed) throw new Error(`the recorded ${scenario} handshake did not resume`);
  return resumed;
}

interface Timing {
  ns: number;
  firstNs: number;
  n: number;
}

/** Replays `rec` n times; returns the server's time. */
function replay(context: TlsContext, rec: Recorded, scenario: InProcessScenario, n: number, check: boolean): Timing {
  let ns = 0;
  let firstNs = 0;
  for (let i = 0; i < n; i++) {
    // The server may decrypt in place: each iteration gets its own copy of the input.
    const hello = rec.hello.slice();
    const second = rec.second.slice();
    source = playing(rec.tape);
    const t0 = process.hrtime.bigint();
    const conn = new ServerConnection(context);
    conn.receive(hello);
    const first = conn.takeOutput();
    const t1 = process.hrtime.bigint();
    conn.receive(second);
    const last = conn.takeOutput();
    const t2 = process.hrtime.bigint();
    ns += Number(t2 - t0);
    firstNs += Number(t1 - t0);
    if (!conn.handshakeComplete || conn.error) throw new Error(`replay failed: ${conn.error?.message ?? 'incomplete'}`);
    if (check) {
      const expectedBy = scenario === 'full' ? undefined : scenario;
      if (conn.negotiated?.resumedBy !== expectedBy) throw new Error(`replay resumed by ${conn.negotiated?.resumedBy}, not ${expectedBy}`);
      if (!first || hex(first) !== hex(rec.serverFirst) || hex(last ?? new Uint8Array(0)) !== hex(rec.serverSecond ?? new Uint8Array(0))) {
        throw new Error('the replayed server did not reproduce the recorded flights');
      }
    }
  }
  return { ns, firstNs, n };
}

/** What one call of a primitive costs, in microseconds: the floor under each handshake. */
export interface PrimitiveCost {
  name: string;
  us: number;
}

function timeOp(name: string, ms: number, op: () => unknown): PrimitiveCost {
  for (let i = 0; i < 20; i++) op();
  let n = 0;
  const t0 = process.hrtime.bigint();
  const limit = BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() - t0 < limit) {
    for (let i = 0; i < 10; i++) op();
    n += 10;
  }
  return { name, us: Number(process.hrtime.bigint() - t0) / n / 1000 };
}

/** The public-key operations a full handshake is made of, through the default provider, and puretls's per-key AES-GCM setup, each alone. */
function primitiveCosts(ms: number): PrimitiveCost[] {
  const provider = new NobleCryptoProvider();
  const peer = provider.generateEphemeralKey('x25519').publicKey;
  // A provider key agrees once and is wiped (a second agree returns null at once), so the
  // shared secret is timed on the call the provider makes, x25519.ts's ladder.
  const scalar = new Uint8Array(32).fill(7);
  const signer = provider.ecdsaSigningKey('P-256', p256.utils.randomSecretKey(new Uint8Array(p256.lengths.seed!).fill(9)));
  const message = new Uint8Array(200);
  const aesKey = new Uint8Array(16).fill(1);
  return [
    timeOp('X25519 key generation (x25519.ts, Edwards base table on limbs)', ms, () => provider.generateEphemeralKey('x25519')),
    timeOp('X25519 shared secret (x25519.ts, limb ladder)', ms, () => x25519(scalar, peer)),
    timeOp('ECDSA P-256 sign with SHA-256 (noble, 8-bit base table)', ms, () => signer.sign('sha256', message)),
    timeOp('AES-128-GCM key setup (gcm.ts: AES key schedule, H, 512-byte GHASH table)', ms, () => new AesGcm(aesKey)),
  ];
}

interface InProcessOptions {
  /** Milliseconds of server time per round. */
  roundMs: number;
  rounds: number;
  warmupMs: number;
  scenarios?: InProcessScenario[];
}

function runInProcess(options: InProcessOptions): InProcessResult[] {
  const results: InProcessResult[] = [];
  for (const scenario of options.scenarios ?? (['full', 'session-id', 'ticket'] as const)) {
    const context = contextFor(scenario);
    const rec = record(scenario, context);
    replay(context, rec, scenario, 1, true);
    // Warm up, and find how many iterations fill a round.
    let per = 1;
    let warm = 0;
    while (warm < options.warmupMs * 1e6) {
      const t = replay(context, rec, scenario, per, false);
      warm += t.ns;
      per = Math.min(per * 2, 4096);
    }
    const probe = replay(context, rec, scenario, 20, false);
    const n = Math.max(10, Math.round((options.roundMs * 1e6) / (probe.ns / probe.n)));
    const rounds: number[] = [];
    const firsts: number[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const t = replay(context, rec, scenario, n, false);
      rounds.push(t.ns / t.n / 1000);
      firsts.push(t.firstNs / t.n / 1000);
    }
    const us = median(rounds);
    const first = median(firsts);
    results.push({
      scenario,
      handshakesPerSecond: 1e6 / us,
      usPerHandshake: us,
      usFirstFlight: first,
      usSecondFlight: us - first,
      rounds: rounds.map((u) => 1e6 / u),
      iterations: n,
    });
  }
  return results;
}

/** One handshake of `scenario`, replayed per call: for interleaved A/B runs of two builds in one process. */
export function replayer(scenario: InProcessScenario): () => void {
  const context = contextFor(scenario);
  const rec = record(scenario, context);
  replay(context, rec, scenario, 1, true);
  return () => void replay(context, rec, scenario, 1, false);
}

// As a child of run.ts, or on its own.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const only = process.argv.find((a) => a.startsWith('--scenario='))?.slice('--scenario='.length) as InProcessScenario | undefined;
  const scenarios: InProcessScenario[] | undefined = only ? [only] : PROVIDER === 'node' ? ['session-id', 'ticket'] : undefined;
  const results = runInProcess({
    ...(quick ? { roundMs: 400, rounds: 3, warmupMs: 300 } : { roundMs: 2500, rounds: 5, warmupMs: 1500 }),
    ...(scenarios ? { scenarios } : {}),
  });
  const primitives = only || PROVIDER === 'node' ? [] : primitiveCosts(quick ? 150 : 500);
  if (process.send) process.send({ type: 'inprocess', results, primitives });
  else for (const p of primitives) console.log(`${p.name}: ${p.us.toFixed(1)} µs`);
  if (!process.send) for (const r of results) console.log(`${r.scenario.padEnd(11)} ${r.handshakesPerSecond.toFixed(0).padStart(7)} handshakes/s/core  ${r.usPerHandshake.toFixed(1)} µs (first flight ${r.usFirstFlight.toFixed(1)} µs)`);
}
