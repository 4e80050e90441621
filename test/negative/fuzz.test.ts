import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import { TlsContext } from '../../src/context.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { AlertDescription, TlsError } from '../../src/errors.js';
import { suiteById } from '../../src/protocol/suites.js';
import { AeadProtection } from '../../src/record/aead.js';
import { testCertificate } from '../helpers/fixtures.js';
import { seededRandom as seededPrng } from '../helpers/openssl.js';
import { ContentType, Suite, TlsClient, concat, hex, seededRandom, splitRecords, type ClientOptions } from '../helpers/tls-client.js';

const KNOWN_ALERTS = new Set(Object.values(AlertDescription).filter((v): v is number => typeof v === 'number'));

/** A seeded PRNG for choosing mutations, so a failure reproduces. */
const prng = seededPrng;

/** One to three random edits: bit flips, byte sets, inserts, deletes, truncation, duplication. */
function mutate(input: Uint8Array, rand: () => number): Uint8Array {
  let b: Uint8Array = input.slice();
  const int = (n: number): number => Math.floor(rand() * n);
  const edits = 1 + int(3);
  for (let e = 0; e < edits; e++) {
    const at = int(b.length + 1);
    switch (int(8)) {
      case 0:
      case 1:
        if (b.length) b[Math.min(at, b.length - 1)]! ^= 1 << int(8);
        break;
      case 2:
        if (b.length) b[Math.min(at, b.length - 1)] = [0, 1, 0x7f, 0x80, 0xff, int(256)][int(6)]!;
        break;
      case 3:
        b = concat(b.subarray(0, at), Uint8Array.from({ length: 1 + int(8) }, () => int(256)), b.subarray(at));
        break;
      case 4:
        b = concat(b.subarray(0, at), b.subarray(at + 1 + int(16)));
        break;
      case 5:
        b = b.subarray(0, at).slice();
        break;
      case 6: {
        const from = int(b.length);
        b = concat(b.subarray(0, at), b.subarray(from, from + 1 + int(64)), b.subarray(at));
        break;
      }
      default: {
        // Length fields live in the first bytes of records and messages: hit them more often.
        const i = int(Math.min(b.length, 12));
        if (b.length) b[i] = int(256);
      }
    }
  }
  return b;
}

/** Feeds `data` in one to three chunks; `receive` must never throw. */
function feed(server: ServerConnection, data: Uint8Array, rand: () => number, what: string): void {
  const cuts = [0, ...Array.from({ length: Math.floor(rand() * 3) }, () => Math.floor(rand() * data.length)).sort((x, y) => x - y), data.length];
  for (let i = 0; i + 1 < cuts.length; i++) {
    try {
      server.receive(data.subarray(cuts[i], cuts[i + 1]));
    } catch (e) {
      assert.fail(`${what}: receive threw ${String(e)}`);
    }
  }
}

/**
 * Whatever is left waiting for bytes ends here: 17000 bytes of 0xff complete any record
 * (at most 2^14 + 256) and then make an invalid header.
 */
const TERMINATOR = new Uint8Array(17000).fill(0xff);

/** The invariants: finished or failed with a real alert, and a failure ends in that alert record. */
function checkOutcome(server: ServerConnection, output: Uint8Array, decrypt: ((records: Uint8Array) => Uint8Array[]) | undefined, what: string): void {
  const error = server.error;
  assert.ok(server.handshakeComplete || error, `${what}: neither complete nor failed`);
  const { records, rest } = splitRecords(output);
  assert.equal(rest.length, 0, `${what}: output ends in a partial record`);
  if (!error) return;
  assert.ok(error instanceof TlsError, `${what}: error is not a TlsError`);
  assert.ok(KNOWN_ALERTS.has(error.alert), `${what}: unknown alert ${error.alert}`);
  assert.notEqual(error.reason, 'ERR_INTERNAL', `${what}: an exception escaped as internal_error: ${error.message}`);
  if (error.fromPeer) return;
  const last = records.at(-1);
  assert.ok(last, `${what}: failed (${error.message}) without sending anything`);
  assert.equal(last.type, ContentType.alert, `${what}: last record is not an alert (${error.message})`);
  let plaintext = last.fragment;
  if (plaintext.length !== 2) {
    assert.ok(decrypt, `${what}: an encrypted alert with no keys to read it`);
    plaintext = decrypt(output).at(-1)!;
  }
  assert.equal(hex(plaintext), hex(Uint8Array.of(2, error.alert)), `${what}: ${error.message}`);
}

/** A provider whose seeded random stream restarts for each connection, so every server says the same. */
function resettableProvider(seed: string): { provider: NobleCryptoProvider; reset(): void } {
  let rng = seededRandom(seed);
  return { provider: new NobleCryptoProvider({ randomBytes: (n) => rng(n) }), reset: () => (rng = seededRandom(seed)) };
}

function fuzzContext(provider: NobleCryptoProvider): TlsContext {
  const cert = testCertificate('P-256');
  return new TlsContext({ key: cert.keyPem, cert: cert.certPem, crypto: provider, sessionCache: false, alpnProtocols: ['h2', 'http/1.1'] });
}

const CLIENT: ClientOptions = {
  rng: seededRandom('fuzz client'),
  serverName: 'fuzz.example',
  alpn: ['http/1.1', 'h2'],
  sessionTicket: new Uint8Array(0),
  supportedVersions: [0x0304, 0x0303],
  cipherSuites: [Suite.AES128_GCM, Suite.AES256_GCM, Suite.CHACHA20],
};

describe('fuzzing a ServerConnection in memory', function () {
  this.timeout(60_000);

  it('2000 mutated ClientHellos: never a throw, always complete or a fatal alert that is sent', () => {
    const { provider, reset } = resettableProvider('fuzz server hello');
    const context = fuzzContext(provider);
    const helloRecord = new TlsClient({ ...CLIENT, rng: seededRandom('fuzz client') }).start();
    const rand = prng(0x5eed0001);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const what = `hello mutation ${i}`;
      reset();
      const server = new ServerConnection(context);
      feed(server, mutate(helloRecord, rand), rand, what);
      let output = server.takeOutput() ?? new Uint8Array(0);
      // A server that answered: carry on as the client that sent the original hello would.
      const client = new TlsClient({ ...CLIENT, rng: seededRandom('fuzz client') });
      client.start();
      let clientOk = true;
      if (!server.error && output.length) {
        try {
          client.receive(output);
          const flight = client.takeOutput();
          if (flight) {
            feed(server, flight, rand, what);
            const more = server.takeOutput();
            if (more) {
              output = concat(output, more);
              client.receive(more);
            }
          }
        } catch {
          clientOk = false; // the server answered a different hello than this client sent
        }
      }
      if (!server.handshakeComplete && !server.error) {
        feed(server, TERMINATOR, rand, what);
        output = concat(output, server.takeOutput() ?? new Uint8Array(0));
      }
      const decrypt = clientOk
        ? (all: Uint8Array): Uint8Array[] => {
            const reader = new TlsClient({ ...CLIENT, rng: seededRandom('fuzz client') });
            reader.start();
            reader.receive(all);
            return reader.records.map((r) => r.plaintext);
          }
        : undefined;
      checkOutcome(server, output, decrypt, what);
      const key = server.error?.reason ?? (server.handshakeComplete ? 'complete' : '?');
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    if (process.env.FUZZ_VERBOSE) console.log(outcomes);
    // The mutations must reach past the record layer: several distinct refusals, and some successes
    // (edits that leave the transcript alone, like the record version of the ClientHello).
    assert.ok(outcomes.size >= 8, `only ${outcomes.size} distinct outcomes: ${[...outcomes.keys()].join(', ')}`);
    const caughtLater = (outcomes.get('ERR_BAD_FINISHED') ?? 0) + (outcomes.get('ERR_BAD_RECORD_MAC') ?? 0) + (outcomes.get('ERR_AES_GCM_TAG_MISMATCH') ?? 0);
    assert.ok(caughtLater > 0, 'some mutated hellos were answered, then caught at the Finished record');
  });

  it('1500 mutated client flights (ClientKeyExchange, CCS, Finished): same invariants', () => {
    const { provider, reset } = resettableProvider('fuzz server flight');
    const context = fuzzContext(provider);
    reset();
    const client = new TlsClient({ ...CLIENT, rng: seededRandom('fuzz flight client'), autoRespond: false });
    const hello = client.start();
    const first = new ServerConnection(context);
    first.receive(hello);
    const serverFlight = first.takeOutput()!;
    client.receive(serverFlight);
    const flight = client.secondFlight();
    first.receive(flight);
    assert.ok(first.handshakeComplete, 'the unmutated flight completes');
    const keys = client.keys!;
    const suite = suiteById(client.serverHello!.cipherSuite)!;
    const crypto = new NobleCryptoProvider();

    /** Decrypts what the server sent after its ChangeCipherSpec. */
    const decrypt = (output: Uint8Array): Uint8Array[] => {
      const reader = new AeadProtection(crypto, suite, keys.serverKey, keys.serverIv);
      let on = false;
      return splitRecords(output).records.map((r) => {
        if (!on) {
          on = r.type === ContentType.change_cipher_spec;
          return r.fragment;
        }
        return reader.open(r.type, r.version, r.fragment);
      });
    };

    const rand = prng(0x5eed0002);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 1500; i++) {
      const what = `flight mutation ${i}`;
      reset();
      const server = new ServerConnection(context);
      server.receive(hello);
      const out1 = server.takeOutput()!;
      if (i === 0) assert.equal(hex(out1), hex(serverFlight), 'the seeded server repeats itself');
      feed(server, mutate(flight, rand), rand, what);
      let output = server.takeOutput() ?? new Uint8Array(0);
      if (!server.handshakeComplete && !server.error) {
        feed(server, TERMINATOR, rand, what);
        output = concat(output, server.takeOutput() ?? new Uint8Array(0));
      }
      checkOutcome(server, output, decrypt, what);
      const key = server.error?.reason ?? (server.handshakeComplete ? 'complete' : '?');
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    if (process.env.FUZZ_VERBOSE) console.log(outcomes);
    assert.ok(outcomes.size >= 6, `only ${outcomes.size} distinct outcomes: ${[...outcomes.keys()].join(', ')}`);
    // A changed ClientKeyExchange point changes the keys, so it too shows as bad_record_mac.
    for (const code of ['ERR_AES_GCM_TAG_MISMATCH', 'ERR_TLS_ALERT_DECODE_ERROR', 'ERR_TLS_ALERT_UNEXPECTED_MESSAGE']) {
      assert.ok((outcomes.get(code) ?? 0) > 0, `no ${code} among ${[...outcomes.keys()].join(', ')}`);
    }
  });
});
