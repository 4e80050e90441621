/**
 * Fuzzing a ServerConnection with whole client byte streams: a seed is everything one
 * client sent on one connection (recorded against a world, or captured from a real client),
 * fed again to a fresh connection of the same world after a few mutations.
 *
 * Mutations are of two kinds. Raw edits change bytes of the stream as it is on the wire.
 * Record edits work on the records' plaintext: the seed is cut into records, the records
 * the client had encrypted are decrypted with the client's keys (worked out once, from the
 * server's key log line of the unmutated run), one record is changed (its bytes, its type,
 * split, dropped, repeated, swapped, or a new one inserted), and the stream is sealed again
 * in order. So a mutated Finished, an encrypted ClientHello after the handshake or a
 * malformed alert reach the code behind the record layer, not only its MAC check.
 *
 * The invariants, for every input: receive() never throws; once the input and a terminator
 * are in, the connection has completed or failed; a failure is a TlsError with a known
 * alert, never internal_error (ERR_INTERNAL is an exception that escaped into the catch-all);
 * and a failure we raised ends the output with that alert, decrypted when it was sealed.
 */
import { concatBytes } from '../../src/codec/bytes.js';
import { ServerConnection } from '../../src/connection.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { AlertDescription, TlsError } from '../../src/errors.js';
import { deriveTrafficKeys } from '../../src/handshake/key-schedule.js';
import { decodeServerHello } from '../../src/handshake/messages/hello.js';
import { suiteById, type CipherSuite } from '../../src/protocol/suites.js';
import { AeadProtection } from '../../src/record/aead.js';
import { ContentType, encodeRecord, fromHex, splitRecords } from '../helpers/tls-client.js';
import { applyEdits, randomEdits, type Edit, type Rand } from './mutate.js';
import type { World } from './worlds.js';

const noble = new NobleCryptoProvider();
const KNOWN_ALERTS = new Set(Object.values(AlertDescription).filter((v): v is number => typeof v === 'number'));

/**
 * What is fed after the input when the connection still waits: 17,000 bytes of 0xff complete
 * any record (at most 2^14 + 256 bytes) and then make an invalid header.
 */
export const TERMINATOR = new Uint8Array(17000).fill(0xff);

export interface Verdict {
  /** A short name for what happened: an error code, or complete / complete:resumed. */
  outcome: string;
  /** What went wrong, when an invariant broke. */
  violation?: { kind: 'exception' | 'internal_error' | 'invariant'; detail: string };
}

export interface ClientRecord {
  type: number;
  version: number;
  plaintext: Uint8Array;
  /** Sealed under the client's write keys (it came after the client's ChangeCipherSpec). */
  encrypted: boolean;
}

/** A seed cut into records, with the client keys that sealed its encrypted ones. */
export interface ParsedStream {
  records: ClientRecord[];
  keys: { suite: CipherSuite; key: Uint8Array; iv: Uint8Array } | undefined;
}

interface KeyLogged {
  clientRandom: Uint8Array;
  master: Uint8Array;
}

function parseKeylog(lines: readonly string[]): KeyLogged | undefined {
  const last = lines.at(-1);
  if (!last) return undefined;
  const [, random, master] = last.split(' ');
  return { clientRandom: fromHex(random!), master: fromHex(master!) };
}

/** The ServerHello's random and suite, from the first cleartext handshake bytes the server sent. */
function serverHelloOf(output: Uint8Array): { random: Uint8Array; suite: CipherSuite } | undefined {
  const handshake: Uint8Array[] = [];
  for (const r of splitRecords(output).records) {
    if (r.type === ContentType.change_cipher_spec) break;
    if (r.type === ContentType.handshake) handshake.push(r.fragment);
  }
  const bytes = concatBytes(handshake);
  if (bytes.length < 4 || bytes[0] !== 2) return undefined;
  const length = (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!;
  try {
    const hello = decodeServerHello(bytes.subarray(4, 4 + length));
    const suite = suiteById(hello.cipherSuite);
    return suite ? { random: hello.random, suite } : undefined;
  } catch {
    return undefined;
  }
}

/** The plaintext of every record the server sent, decrypted after its ChangeCipherSpec with keys from its key log. */
export function serverPlaintexts(output: Uint8Array, keylog: readonly string[]): Uint8Array[] | undefined {
  const logged = parseKeylog(keylog);
  const hello = serverHelloOf(output);
  let opener: AeadProtection | undefined;
  if (logged && hello) {
    const keys = deriveTrafficKeys(noble, hello.suite, logged.master, logged.clientRandom, hello.random);
    opener = new AeadProtection(noble, hello.suite, keys.serverKey, keys.serverIv);
  }
  let on = false;
  const out: Uint8Array[] = [];
  for (const r of splitRecords(output).records) {
    if (!on) {
      out.push(r.fragment);
      on = r.type === ContentType.change_cipher_spec;
      continue;
    }
    if (!opener) return undefined;
    try {
      out.push(opener.open(r.type, r.version, r.fragment));
    } catch {
      return undefined;
    }
  }
  return out;
}

/** Cuts a seed into records and opens the encrypted ones with the keys of an unmutated run against `world`. */
export function parseStream(world: World, seed: Uint8Array): ParsedStream {
  const { records } = splitRecords(seed);
  world.reset();
  const keylog: string[] = [];
  const server = world.connect({ onKeylog: (line) => keylog.push(line) });
  server.receive(seed);
  const output = server.takeOutput() ?? new Uint8Array(0);
  server.dispose();
  const logged = parseKeylog(keylog);
  const hello = serverHelloOf(output);
  let keys: ParsedStream['keys'];
  let opener: AeadProtection | undefined;
  if (logged && hello) {
    const derived = deriveTrafficKeys(noble, hello.suite, logged.master, logged.clientRandom, hello.random);
    keys = { suite: hello.suite, key: derived.clientKey.slice(), iv: derived.clientIv.slice() };
    opener = new AeadProtection(noble, hello.suite, derived.clientKey, derived.clientIv);
  }
  let encrypted = false;
  const parsed: ClientRecord[] = [];
  for (const r of records) {
    let plaintext: Uint8Array = r.fragment.slice();
    if (encrypted && opener) plaintext = opener.open(r.type, r.version, r.fragment);
    parsed.push({ type: r.type, version: r.version, plaintext, encrypted: encrypted && opener !== undefined });
    if (r.type === ContentType.change_cipher_spec) encrypted = true;
  }
  return { records: parsed, keys };
}

/** The records as the client would send them: the encrypted ones sealed in order, from sequence number 0. */
export function serialize(stream: ParsedStream, records: readonly ClientRecord[]): Uint8Array {
  const k = stream.keys;
  const sealer = k ? new AeadProtection(noble, k.suite, k.key, k.iv) : undefined;
  return concatBytes(records.map((r) => (r.encrypted && sealer ? sealer.seal(r.type, 0x0303, r.plaintext) : encodeRecord(r.type, r.version, r.plaintext))));
}

export type Focus = 'first' | 'any' | 'after-handshake';

/** Which record a record edit changes: the ClientHello's for 'first' targets, the last ones for 'after-handshake'. */
function pickRecord(records: readonly ClientRecord[], focus: Focus, rand: Rand): number {
  const n = records.length;
  if (focus === 'first' && rand() < 0.8) return 0;
  if (focus === 'after-handshake' && rand() < 0.8) {
    // After the client's Finished: the records following its second encrypted handshake record.
    const firstEncrypted = records.findIndex((r) => r.encrypted);
    const from = firstEncrypted < 0 ? 0 : Math.min(n - 1, firstEncrypted + 1);
    return from + Math.floor(rand() * (n - from));
  }
  return Math.floor(rand() * n);
}

const RECORD_TYPES = [ContentType.change_cipher_spec, ContentType.alert, ContentType.handshake, ContentType.application_data, 24, 0];

/** One structural change to the record list (plaintext level). */
function recordEdit(records: ClientRecord[], focus: Focus, rand: Rand): string {
  const int = (k: number): number => Math.floor(rand() * k);
  const i = pickRecord(records, focus, rand);
  const r = records[i]!;
  switch (int(10)) {
    case 0:
      records[i] = { ...r, type: RECORD_TYPES[int(RECORD_TYPES.length)]! };
      return `record ${i}: type ${records[i]!.type}`;
    case 1:
      records.splice(i, 1);
      return `record ${i}: dropped`;
    case 2:
      records.splice(i, 0, { ...r });
      return `record ${i}: repeated`;
    case 3:
      if (i + 1 < records.length) [records[i], records[i + 1]] = [records[i + 1]!, records[i]!];
      return `records ${i}, ${i + 1}: swapped`;
    case 4: {
      const at = int(r.plaintext.length + 1);
      records.splice(i, 1, { ...r, plaintext: r.plaintext.slice(0, at) }, { ...r, plaintext: r.plaintext.slice(at) });
      return `record ${i}: split at ${at}`;
    }
    case 5: {
      const type = RECORD_TYPES[int(4)]!;
      const plaintext = type === ContentType.alert ? Uint8Array.of(1 + int(2), [0, 10, 20, 40, 90, 100, 255][int(7)]!) : Uint8Array.from({ length: int(40) }, () => int(256));
      records.splice(i, 0, { type, version: 0x0303, plaintext, encrypted: r.encrypted });
      return `record ${i}: inserted type ${type}`;
    }
    default: {
      const edits = randomEdits(rand, r.plaintext.length, 3);
      records[i] = { ...r, plaintext: applyEdits(r.plaintext, edits) };
      return `record ${i}: ${edits.length} edits`;
    }
  }
}

/** A mutated stream from a parsed seed: record edits, raw edits, or both. */
export function mutateStream(stream: ParsedStream, focus: Focus, rand: Rand): { input: Uint8Array; how: string; edits: Edit[] } {
  const mode = rand();
  let how = '';
  let input: Uint8Array;
  if (mode < 0.65) {
    const records = stream.records.slice();
    const count = 1 + Math.floor(rand() * rand() * 3);
    const steps: string[] = [];
    for (let k = 0; k < count && records.length > 0; k++) steps.push(recordEdit(records, focus, rand));
    how = steps.join('; ');
    input = serialize(stream, records);
  } else {
    input = serialize(stream, stream.records);
  }
  let edits: Edit[] = [];
  if (mode >= 0.55) {
    edits = randomEdits(rand, input.length);
    input = applyEdits(input, edits);
  }
  return { input, how, edits };
}

/** Cut points (as offsets) for feeding an input in up to four chunks. */
export function randomCuts(length: number, rand: Rand): number[] {
  return Array.from({ length: Math.floor(rand() * 4) }, () => Math.floor(rand() * (length + 1))).sort((a, b) => a - b);
}

/** Feeds `input` cut at `cuts` to a fresh connection of `world`, then checks the invariants. */
export function runConnection(world: World, input: Uint8Array, cuts: readonly number[]): Verdict {
  world.reset();
  const keylog: string[] = [];
  const server = world.connect({ onKeylog: (line) => keylog.push(line) });
  const out: Uint8Array[] = [];
  const feed = (bytes: Uint8Array): Verdict | undefined => {
    try {
      server.receive(bytes);
    } catch (e) {
      return { outcome: 'receive threw', violation: { kind: 'exception', detail: `receive() threw ${e instanceof Error ? e.stack : String(e)}` } };
    }
    const o = server.takeOutput();
    if (o) out.push(o);
    return undefined;
  };
  try {
    const points = [0, ...cuts, input.length];
    for (let i = 0; i + 1 < points.length; i++) {
      const thrown = feed(input.subarray(points[i], points[i + 1]));
      if (thrown) return thrown;
    }
    if (!server.handshakeComplete && !server.error) {
      const thrown = feed(TERMINATOR);
      if (thrown) return thrown;
    }
    server.takePlaintext();
    return judge(server, concatBytes(out), keylog);
  } finally {
    server.dispose();
  }
}

function judge(server: ServerConnection, output: Uint8Array, keylog: readonly string[]): Verdict {
  const error = server.error as unknown;
  const bad = (kind: 'exception' | 'internal_error' | 'invariant', detail: string, outcome = 'violation'): Verdict => ({ outcome, violation: { kind, detail } });
  if (error === undefined) {
    if (!server.handshakeComplete) return bad('invariant', 'neither complete nor failed after the terminator');
    if (splitRecords(output).rest.length) return bad('invariant', 'output ends in a partial record');
    return { outcome: server.isSessionReused ? 'complete:resumed' : 'complete' };
  }
  if (!(error instanceof TlsError)) return bad('exception', `error is not a TlsError: ${String(error)}`);
  const outcome = error.fromPeer ? `peer:${error.reason}` : error.reason;
  if (error.reason === 'ERR_INTERNAL') return bad('exception', `an exception escaped as internal_error: ${error.message}`, outcome);
  const { records, rest } = splitRecords(output);
  if (rest.length) return bad('invariant', 'output ends in a partial record', outcome);
  // The peer's alert is whatever it sent (a mutated client may send internal_error itself);
  // only the alerts we send are judged.
  if (error.fromPeer) return { outcome };
  if (error.alert === AlertDescription.internal_error) return bad('internal_error', `internal_error from input: ${error.reason} ${error.message}`, outcome);
  if (!KNOWN_ALERTS.has(error.alert)) return bad('invariant', `unknown alert ${error.alert}`, outcome);
  const last = records.at(-1);
  if (!last || last.type !== ContentType.alert) return bad('invariant', `failed (${error.message}) without ending in an alert record`, outcome);
  let alert = last.fragment;
  if (alert.length !== 2) {
    const plain = serverPlaintexts(output, keylog);
    if (!plain) return bad('invariant', `an encrypted alert that the key log cannot open (${error.message})`, outcome);
    alert = plain.at(-1)!;
  }
  if (alert.length !== 2 || alert[0] !== 2 || alert[1] !== error.alert) {
    return bad('invariant', `sent alert ${Array.from(alert).join(',')} but failed with ${error.alert} (${error.message})`, outcome);
  }
  return { outcome };
}
