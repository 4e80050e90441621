/**
 * Every fuzz target: the handshake states (each a world and the seeds that reach that state)
 * and the codecs that take bytes from the network or from the application.
 */
import { copyBytes, latin1String } from '../../src/codec/bytes.js';
import { DerReader } from '../../src/codec/der.js';
import { decodePemBlocks, encodePem } from '../../src/codec/pem.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { TlsConfigError, TlsDecodeError, TlsError } from '../../src/errors.js';
import { decodeCertificate, decodeCertificateRequest, decodeCertificateVerify } from '../../src/handshake/messages/certificate.js';
import { parseClientExtensions, readExtensions } from '../../src/handshake/messages/extensions.js';
import { decodeFinished } from '../../src/handshake/messages/finished.js';
import { decodeClientHello, decodeServerHello } from '../../src/handshake/messages/hello.js';
import { decodeClientKeyExchange, decodeServerHelloDone, decodeServerKeyExchange } from '../../src/handshake/messages/key-exchange.js';
import { decodeNewSessionTicket } from '../../src/handshake/messages/ticket.js';
import { Reader } from '../../src/codec/reader.js';
import { decodeCertificateExtensions, parseCertificate } from '../../src/pki/certificate.js';
import { loadAnyPrivateKey, loadPrivateKey } from '../../src/pki/keys.js';
import { MAX_CIPHERTEXT_LENGTH, RecordDeframer } from '../../src/record/deframer.js';
import { HandshakeJoiner } from '../../src/record/handshake-joiner.js';
import { Session } from '../../src/session/session.js';
import { TicketKeyring, type OpenedTicket } from '../../src/session/tickets.js';
import { ticketSealer } from '../helpers/ticket-sealing.js';
import { loadSeeds, type Seed } from './corpus.js';
import { mutateStream, parseStream, randomCuts, runConnection, type Focus, type ParsedStream, type Verdict } from './handshake-target.js';
import { applyEdits, randomEdits, type Rand } from './mutate.js';
import { FUZZ_NOW, authWorld, mainWorld, type World } from './worlds.js';

export interface Step {
  seed: string;
  input: Uint8Array;
  cuts: number[];
  how: string;
  verdict: Verdict;
}

export interface PreparedTarget {
  readonly seeds: readonly Seed[];
  /** One mutated input, run. */
  step(rand: Rand): Step;
  /** Runs one input exactly as given (reproduction). */
  replay(input: Uint8Array, cuts: readonly number[]): Verdict;
}

export interface FuzzTarget {
  name: string;
  description: string;
  /** Share of the time: the handshake targets get twice a codec's (an input costs them a whole connection). */
  weight: number;
  prepare(): PreparedTarget;
}

// ---------------------------------------------------------------------------------------
// Handshake targets

let worlds: { main: World; auth: World } | undefined;
function world(name: 'main' | 'auth'): World {
  worlds ??= { main: mainWorld(), auth: authWorld() };
  return worlds[name];
}

function handshakeTarget(name: string, worldName: 'main' | 'auth', focus: Focus, description: string, extraSeedsFrom: string[] = []): FuzzTarget {
  return {
    name,
    description,
    weight: 2,
    prepare() {
      const w = world(worldName);
      const seeds = [name, ...extraSeedsFrom].flatMap((t) => loadSeeds(t));
      if (seeds.length === 0) throw new Error(`no seeds in fuzz/corpus/${name}: run npm run fuzz -- --record-corpus`);
      const parsed: ParsedStream[] = seeds.map((s) => parseStream(w, s.bytes));
      return {
        seeds,
        step(rand) {
          const i = Math.floor(rand() * seeds.length);
          const { input, how, edits } = mutateStream(parsed[i]!, focus, rand);
          const cuts = randomCuts(input.length, rand);
          return { seed: seeds[i]!.name, input, cuts, how: how + (edits.length ? ` + ${edits.length} raw edits` : ''), verdict: runConnection(w, input, cuts) };
        },
        replay: (input, cuts) => runConnection(w, input, cuts),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------
// Codec targets: decode must return or throw the codec's own error class.

type ErrorClass = typeof TlsError | typeof TlsDecodeError | typeof TlsConfigError;

function classify(run: () => string | void, allowed: readonly ErrorClass[]): Verdict {
  try {
    return { outcome: run() ?? 'ok' };
  } catch (e) {
    if (allowed.some((c) => e instanceof c)) {
      const code = (e as { code: string }).code;
      return { outcome: `${(e as Error).name}:${code}` };
    }
    return { outcome: 'violation', violation: { kind: 'exception', detail: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) } };
  }
}

function codecTarget(
  name: string,
  description: string,
  seeds: () => Seed[],
  /** Decodes; returns an outcome name, or nothing for 'ok'. */
  run: (input: Uint8Array, cuts: readonly number[]) => string | void,
  allowed: readonly ErrorClass[],
): FuzzTarget {
  return {
    name,
    description,
    weight: 1,
    prepare() {
      const all = seeds();
      if (all.length === 0) throw new Error(`no seeds for ${name}: run npm run fuzz -- --record-corpus`);
      const replay = (input: Uint8Array, cuts: readonly number[]): Verdict => classify(() => run(input, cuts), allowed);
      return {
        seeds: all,
        step(rand) {
          const i = Math.floor(rand() * all.length);
          let input = all[i]!.bytes;
          let how = '';
          if (rand() < 0.1 && all.length > 1) {
            // Splice: the head of one seed, the tail of another.
            const other = all[Math.floor(rand() * all.length)]!.bytes;
            input = Uint8Array.from([...input.subarray(0, Math.floor(rand() * input.length)), ...other.subarray(Math.floor(rand() * other.length))]);
            how = 'splice; ';
          }
          const edits = randomEdits(rand, input.length, 5);
          input = applyEdits(input, edits);
          const cuts = randomCuts(input.length, rand);
          return { seed: all[i]!.name, input, cuts, how: `${how}${edits.length} edits`, verdict: replay(input, cuts) };
        },
        replay,
      };
    },
  };
}

const WIRE = [TlsError] as const;
const APPLICATION = [TlsDecodeError, TlsConfigError] as const;
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Handshake message decoders by the first byte of the input (the message type). */
const DECODERS: ReadonlyMap<number, (body: Uint8Array) => unknown> = new Map<number, (body: Uint8Array) => unknown>([
  [1, decodeClientHello],
  [2, decodeServerHello],
  [4, decodeNewSessionTicket],
  [11, decodeCertificate],
  [12, decodeServerKeyExchange],
  [13, decodeCertificateRequest],
  [14, decodeServerHelloDone],
  [15, decodeCertificateVerify],
  [16, decodeClientKeyExchange],
  [20, decodeFinished],
  [0xfe, (b) => readExtensions(new Reader(b))],
  [0xff, (b) => parseClientExtensions(new Reader(b))],
]);
const DECODER_LIST = [...DECODERS.values()];

/** Every way the DER reader reads an element, recursively. */
export function readEveryWay(der: Uint8Array, depth = 0): void {
  const r = new DerReader(der);
  while (!r.atEnd()) {
    const { tag, value, raw } = r.read();
    const attempts: ((x: DerReader) => unknown)[] = [
      (x) => x.uint(),
      (x) => x.uintBytes(),
      (x) => x.oid(),
      (x) => x.time(),
      (x) => x.bitString(),
      (x) => x.bitStringBits(),
      (x) => x.octetString(),
      (x) => x.sequence(),
      (x) => x.explicit(tag & 0x1f),
      (x) => x.element(tag, 'element'),
    ];
    for (const attempt of attempts) {
      try {
        attempt(new DerReader(raw));
      } catch (e) {
        if (!(e instanceof TlsDecodeError)) throw e;
      }
    }
    if (tag & 0x20 && depth < 8) readEveryWay(value, depth + 1);
  }
}

/** PEM files of a corpus folder as `label \n der` (so mutations reach the DER, and sometimes the label). */
function pemSeeds(target: string): Seed[] {
  return loadSeeds(target).flatMap((s) =>
    decodePemBlocks(s.bytes).map((b, i) => ({ name: `${s.name}#${i}`, bytes: Uint8Array.from([...new TextEncoder().encode(b.label), 0x0a, ...b.der]) })),
  );
}

function splitPemSeed(input: Uint8Array): string {
  const nl = input.indexOf(0x0a);
  const label = latin1String(nl < 0 ? input : input.subarray(0, nl));
  const der = nl < 0 ? new Uint8Array(0) : input.subarray(nl + 1);
  return encodePem(label.replace(/[^A-Z0-9 ]/g, 'X') || 'X', der);
}

const derSeeds = (): Seed[] => [
  ...pemSeeds('certificate').map((s) => ({ ...s, bytes: s.bytes.subarray(s.bytes.indexOf(0x0a) + 1) })),
  ...pemSeeds('private-key').map((s) => ({ ...s, bytes: s.bytes.subarray(s.bytes.indexOf(0x0a) + 1) })),
  ...loadSeeds('session'),
];

/** The main world's ticket keys, opened as the main world's server would. */
function ticketOpener(): { open(input: Uint8Array): OpenedTicket | undefined } {
  const crypto = new NobleCryptoProvider();
  const keys = new Uint8Array(48).fill(0x5a);
  const keyring = new TicketKeyring({ crypto, now: () => FUZZ_NOW, lifetimeSeconds: 7200, keys });
  const sealer = ticketSealer(crypto, keys);
  return {
    // First byte 0: seal the rest with our key first, so what is inside the AEAD gets fuzzed too (only a leaked key could do that).
    open(input) {
      if (input[0] === 0) return keyring.open(sealer.seal(input.subarray(1)));
      return keyring.open(input);
    },
  };
}

function chunks(input: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [0, ...cuts, input.length];
  return points.slice(0, -1).map((p, i) => input.subarray(p, points[i + 1]));
}

export const TARGETS: readonly FuzzTarget[] = [
  handshakeTarget('hello', 'main', 'first', 'ClientHellos (ours and captured from real clients), then the rest of our flights', []),
  handshakeTarget('full', 'main', 'any', 'full handshakes: ClientKeyExchange, ChangeCipherSpec, Finished, first data'),
  handshakeTarget('resume-id', 'main', 'any', 'resumption by session ID'),
  handshakeTarget('resume-ticket', 'main', 'any', 'resumption by ticket (RFC 5077)'),
  handshakeTarget('client-auth', 'auth', 'any', 'client authentication: Certificate, CertificateVerify, and resumption of such sessions'),
  handshakeTarget('vhost', 'main', 'any', 'SNI switch to a virtual host under serverNames, full and resumed'),
  handshakeTarget('app-data', 'main', 'after-handshake', 'records after the handshake: data, empty records, alerts, renegotiation'),
  codecTarget(
    'messages',
    'every handshake message decoder (first byte: the message type)',
    () => loadSeeds('messages'),
    (input) => {
      const decode = DECODERS.get(input[0] ?? 0) ?? DECODER_LIST[(input[0] ?? 0) % DECODER_LIST.length]!;
      decode(input.subarray(1));
    },
    WIRE,
  ),
  codecTarget(
    'deframer',
    'the record deframer and the handshake joiner, input in chunks',
    () => [...loadSeeds('hello'), ...loadSeeds('client-auth')],
    (input, cuts) => {
      const deframer = new RecordDeframer();
      const joiner = new HandshakeJoiner();
      for (const part of chunks(input, cuts)) {
        deframer.push(part);
        for (let r = deframer.next({ maxFragmentLength: MAX_CIPHERTEXT_LENGTH, version: undefined }); r; r = deframer.next({ maxFragmentLength: MAX_CIPHERTEXT_LENGTH, version: undefined })) {
          if (r.type === 22) {
            joiner.push(r.fragment);
            while (joiner.next());
            joiner.retain();
          }
        }
        deframer.retain();
      }
    },
    WIRE,
  ),
  codecTarget('session-der', 'Session.fromDER (OpenSSL i2d_SSL_SESSION)', () => loadSeeds('session'), (input) => void Session.fromDER(input), APPLICATION),
  codecTarget(
    'session-pem',
    'Session.fromPEM',
    () => loadSeeds('session').map((s) => ({ ...s, bytes: new TextEncoder().encode(Session.fromDER(s.bytes).toPEM()) })),
    (input) => void Session.fromPEM(text(input)),
    APPLICATION,
  ),
  codecTarget('der', 'the DER reader, every accessor on every element', derSeeds, (input) => readEveryWay(input), APPLICATION),
  codecTarget('pem', 'PEM blocks', () => [...loadSeeds('private-key'), ...loadSeeds('certificate')], (input) => void decodePemBlocks(input), APPLICATION),
  codecTarget(
    'private-key',
    'loadPrivateKey and loadAnyPrivateKey (EC, RSA, RSA-PSS, Ed25519, Ed448; PKCS#8, SEC1, PKCS#1)',
    () => pemSeeds('private-key'),
    (input) => {
      const pem = splitPemSeed(input);
      try {
        loadPrivateKey(pem);
      } catch (e) {
        if (!(e instanceof TlsDecodeError || e instanceof TlsConfigError)) throw e;
      }
      loadAnyPrivateKey(pem);
    },
    APPLICATION,
  ),
  codecTarget(
    'certificate',
    'parseCertificate and decodeCertificateExtensions',
    () => pemSeeds('certificate').map((s) => ({ ...s, bytes: copyBytes(s.bytes.subarray(s.bytes.indexOf(0x0a) + 1)) })),
    (input) => void decodeCertificateExtensions(parseCertificate(input)),
    APPLICATION,
  ),
  (() => {
    let opener: ReturnType<typeof ticketOpener> | undefined;
    return codecTarget(
      'ticket',
      'TicketKeyring.open: any bytes, and sealed plaintexts (first byte 0)',
      () => loadSeeds('ticket'),
      (input) => {
        opener ??= ticketOpener();
        return opener.open(input) ? 'opened' : 'refused';
      },
      [] as const,
    );
  })(),
];

export function targetByName(name: string): FuzzTarget | undefined {
  return TARGETS.find((t) => t.name === name);
}
