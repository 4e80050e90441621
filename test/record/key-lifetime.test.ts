/**
 * Record keys are wiped as soon as a direction of a connection ends (close_notify sent or
 * received, a fatal alert, dispose() when the transport goes), not when the connection is
 * garbage collected.
 *
 * Disposal is observed through a CryptoProvider that wraps the default (noble) one and
 * records every AEAD it hands out: its key (a copy), how often it sealed and opened, and
 * whether and when it was disposed. Which record AEAD reads and which writes is decided
 * independently of the server's code: the read AEAD is the one keyed with the client write
 * key the test client derived (client.keys.clientKey), the write AEAD the one keyed with
 * the server write key; the handshake cross-checks that (the server opens the client's
 * Finished with the read AEAD and seals its own Finished with the write AEAD).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import tls from 'node:tls';
import { afterEach, describe, it } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import { TlsContext } from '../../src/context.js';
import { defaultCryptoProvider } from '../../src/crypto/noble.js';
import type { AeadAlgorithm } from '../../src/crypto/provider.js';
import { AlertDescription as A } from '../../src/errors.js';
import { suiteById } from '../../src/protocol/suites.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { AeadProtection } from '../../src/record/aead.js';
import { RecordLayer } from '../../src/record/record-layer.js';
import { MemorySessionCache } from '../../src/session/memory-cache.js';
import type { Session } from '../../src/session/session.js';
import type { SessionCache } from '../../src/session/cache.js';
import { exchangeData, makeContext, type Pair } from '../helpers/handshake-harness.js';
import { clientCerts } from '../helpers/client-certs.js';
import { startServer, testCertificate, type RunningServer } from '../helpers/fixtures.js';
import { RecordingCrypto, type AeadRecord, type MacRecord } from '../helpers/recording-crypto.js';
import { ContentType, Suite, TlsClient, bytesEqual, flipBit, hex, splitRecords, type ClientOptions } from '../helpers/tls-client.js';
import { handshakeInMemory } from '../helpers/in-memory.js';

/** Every provider made by a test, checked after it (see afterEach below). */
const providers: RecordingCrypto[] = [];

/** No AEAD a test made was used once disposed (the real ones would throw; this says which). */
function checkNoUseAfterDispose(this: Mocha.Context): void {
  const list = providers.splice(0);
  if (this.currentTest?.state === 'failed') return;
  for (const p of list) {
    for (const a of p.aeads) {
      assert.equal(a.usedAfterDispose, 0, `AEAD used after dispose: ${p.describe()}`);
    }
  }
}

function recordingCrypto(): RecordingCrypto {
  const p = new RecordingCrypto();
  providers.push(p);
  return p;
}

// ---------------------------------------------------------------------------------------
// Helpers

interface Keyed extends Pair {
  crypto: RecordingCrypto;
  read: AeadRecord;
  write: AeadRecord;
}

/** The record AEADs of a completed handshake, told apart by the keys the client derived. */
function recordAeads(crypto: RecordingCrypto, client: TlsClient): { read: AeadRecord; write: AeadRecord } {
  const keys = client.keys;
  assert.ok(keys, 'the client derived traffic keys');
  assert.equal(crypto.aeads.length, 2, `a full handshake makes two record AEADs (tickets off): ${crypto.describe()}`);
  const read = crypto.aeads.find((a) => bytesEqual(a.key, keys.clientKey));
  const write = crypto.aeads.find((a) => bytesEqual(a.key, keys.serverKey));
  assert.ok(read, `no AEAD keyed with the client write key: ${crypto.describe()}`);
  assert.ok(write, `no AEAD keyed with the server write key: ${crypto.describe()}`);
  assert.notEqual(read, write);
  read.label = 'read';
  write.label = 'write';
  // The handshake used them as their keys say: the client's Finished was opened, ours sealed.
  assert.ok(read.opens >= 1 && read.seals === 0, `read AEAD usage: ${crypto.describe()}`);
  assert.ok(write.seals >= 1 && write.opens === 0, `write AEAD usage: ${crypto.describe()}`);
  return { read, write };
}

/** A completed in-memory handshake against a fresh context that records its AEADs. */
function connectKeyed(options: ClientOptions = {}): Keyed {
  const crypto = recordingCrypto();
  const context = makeContext({ crypto, tickets: false });
  const client = new TlsClient(options);
  const server = new ServerConnection(context);
  handshakeInMemory(client, server);
  assert.equal(server.error, undefined, `server error: ${server.error?.message}`);
  assert.ok(server.handshakeComplete, 'server handshake complete');
  assert.ok(client.handshakeComplete, `client handshake complete (phase ${client.phase})`);
  assert.equal(server.takeOutput(), undefined, 'the handshake left nothing to send');
  return { client, server, crypto, ...recordAeads(crypto, client) };
}

function bytes(size: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
}

/** Client -> server application data; the server must decrypt it. */
function upstream(k: Keyed, size = 100, seed = 1): void {
  const data = bytes(size, seed);
  k.server.receive(k.client.write(data));
  assert.equal(k.server.error, undefined, `server error: ${k.server.error?.message}`);
  assert.equal(hex(Buffer.concat(k.server.takePlaintext())), hex(data));
}

/** Server -> client application data; the client must decrypt it. */
function downstream(k: Keyed, size = 100, seed = 2): void {
  const data = bytes(size, seed);
  k.server.write(data);
  const out = k.server.takeOutput();
  assert.ok(out, 'the server queued the data');
  k.client.receive(out);
  assert.equal(hex(k.client.takePlaintext()), hex(data));
}

/** The server queued exactly one encrypted close_notify, and the client reads it as such. */
function expectCloseNotifyOut(k: Keyed): void {
  const out = k.server.takeOutput();
  assert.ok(out, 'close() queued nothing');
  const { records, rest } = splitRecords(out);
  assert.equal(rest.length, 0);
  assert.equal(records.length, 1, 'one record');
  assert.equal(records[0]!.type, ContentType.alert);
  const before = k.client.alerts.length;
  k.client.receive(out);
  assert.deepEqual(k.client.alerts.slice(before), [{ level: 1, description: A.close_notify, encrypted: true }]);
}

function state(k: Keyed): { read: boolean; write: boolean } {
  return { read: k.read.disposed, write: k.write.disposed };
}

/**
 * A resumption whose session lookup (an asynchronous store, sessionCache) is still pending
 * when the connection is disposed (the client went away); then the store answers.
 */
async function resumeAcrossDispose(): Promise<{
  crypto: RecordingCrypto;
  server: ServerConnection;
  store: MemorySessionCache;
  /** Session ids (hex) the connection asked the store to delete. */
  deleted: string[];
  /** AEADs made after dispose(). */
  late: AeadRecord[];
}> {
  const crypto = recordingCrypto();
  const store = new MemorySessionCache();
  const deleted: string[] = [];
  let gate: Promise<void> | undefined;
  const cache: SessionCache = {
    get: (id: Uint8Array) => (gate ? gate.then(() => store.get(id)) : store.get(id)),
    set: (session: Session) => store.set(session),
    delete: (id: Uint8Array) => {
      deleted.push(hex(id));
      return store.delete(id);
    },
    get size() {
      return store.size;
    },
    get cacheFull() {
      return store.cacheFull;
    },
  };
  const context = makeContext({ crypto, tickets: false, sessionCache: cache });
  // A full handshake first, for a session to resume.
  const first = new TlsClient();
  const firstServer = new ServerConnection(context);
  handshakeInMemory(first, firstServer);
  assert.ok(first.handshakeComplete && firstServer.handshakeComplete);
  const saved = first.session;
  assert.ok(saved && saved.sessionId.length > 0, 'a session id to resume');
  assert.equal(store.size, 1);
  const created = crypto.aeads.length;

  let answer!: () => void;
  gate = new Promise<void>((resolve) => (answer = resolve));
  const server = new ServerConnection(context);
  let woke = 0;
  server.onWake = () => woke++;
  server.receive(new TlsClient({ resume: saved }).start());
  assert.ok(server.busy, 'waiting on the session store');
  assert.equal(crypto.aeads.length, created, 'no keys yet');
  server.dispose();
  answer();
  // onWake runs once the asynchronous step has settled, whichever way.
  while (woke === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  return { crypto, server, store, deleted, late: crypto.aeads.slice(created) };
}

// ---------------------------------------------------------------------------------------

describe('record key lifetime: keys are wiped when a direction ends', () => {
  afterEach(checkNoUseAfterDispose);

  describe('RecordLayer.retireRead / retireWrite', () => {
    const suite = suiteById(Suite.AES128_GCM)!;
    const readKey = bytes(16, 21);
    const writeKey = bytes(16, 22);
    const iv = bytes(4, 23);

    /** A record layer with both directions switched to protection from `crypto`. */
    function protectedLayer(crypto: RecordingCrypto): RecordLayer {
      const layer = new RecordLayer();
      layer.agreeVersion(0x0303);
      layer.prepareReadProtection(new AeadProtection(crypto, suite, readKey, iv));
      layer.prepareWriteProtection(new AeadProtection(crypto, suite, writeKey, iv));
      layer.changeReadProtection();
      layer.changeWriteProtection();
      return layer;
    }

    it('retireRead wipes the read key and nothing more is read, not even as plaintext', () => {
      const crypto = recordingCrypto();
      const layer = protectedLayer(crypto);
      const [read, write] = crypto.aeads as [AeadRecord, AeadRecord];
      const peer = new AeadProtection(defaultCryptoProvider, suite, readKey, iv);
      layer.receive(peer.seal(ContentType.application_data, 0x0303, bytes(10)));
      assert.equal(hex(layer.nextRecord()!.data), hex(bytes(10)));
      layer.retireRead();
      assert.deepEqual([read.disposed, write.disposed], [true, false]);
      assert.equal(layer.readEncrypted, false);
      // A sealed record and a record in clear: neither comes out.
      layer.receive(peer.seal(ContentType.application_data, 0x0303, bytes(10)));
      layer.receive(Uint8Array.of(ContentType.application_data, 3, 3, 0, 3, 1, 2, 3));
      assert.equal(layer.nextRecord(), undefined);
      assert.equal(layer.nextRecord(), undefined);
      // Writing goes on.
      layer.send(ContentType.application_data, bytes(5));
      const out = layer.takeOutput()!;
      const opened = new AeadProtection(defaultCryptoProvider, suite, writeKey, iv).open(ContentType.application_data, 0x0303, out.subarray(5));
      assert.equal(hex(opened), hex(bytes(5)));
    });

    it('retireWrite wipes the write key, keeps what was queued, and drops later records instead of sending them in clear', () => {
      const crypto = recordingCrypto();
      const layer = protectedLayer(crypto);
      const [read, write] = crypto.aeads as [AeadRecord, AeadRecord];
      layer.send(ContentType.application_data, bytes(7));
      layer.retireWrite();
      assert.deepEqual([read.disposed, write.disposed], [false, true]);
      assert.equal(layer.writeEncrypted, false);
      layer.send(ContentType.alert, Uint8Array.of(2, A.internal_error));
      layer.send(ContentType.application_data, bytes(100));
      layer.send(ContentType.application_data, new Uint8Array(0));
      const out = layer.takeOutput();
      assert.ok(out);
      const { records, rest } = splitRecords(out);
      assert.equal(rest.length, 0);
      assert.equal(records.length, 1, 'only the record queued before retireWrite');
      const opened = new AeadProtection(defaultCryptoProvider, suite, writeKey, iv).open(ContentType.application_data, 0x0303, records[0]!.fragment);
      assert.equal(hex(opened), hex(bytes(7)));
      assert.equal(layer.takeOutput(), undefined);
    });

    it('keys prepared after retirement, and pending ones, are wiped at once', () => {
      const crypto = recordingCrypto();
      const layer = new RecordLayer();
      layer.prepareReadProtection(new AeadProtection(crypto, suite, readKey, iv)); // pending, never switched on
      layer.retireRead();
      layer.retireWrite();
      layer.prepareReadProtection(new AeadProtection(crypto, suite, readKey, iv));
      layer.prepareWriteProtection(new AeadProtection(crypto, suite, writeKey, iv));
      assert.equal(crypto.aeads.length, 3);
      assert.ok(crypto.aeads.every((a) => a.disposed), crypto.describe());
      layer.send(ContentType.handshake, bytes(4));
      assert.equal(layer.takeOutput(), undefined, 'nothing in clear either');
      // Retiring again is harmless and disposes nothing twice.
      layer.retireRead();
      layer.retireWrite();
      assert.ok(crypto.aeads.every((a) => a.disposeCalls === 1), crypto.describe());
    });

    for (const [id, ivLength] of [[Suite.AES128_GCM, 4], [Suite.CHACHA20, 12]] as const) {
      it(`suite 0x${id.toString(16)}: dispose wipes the protection's copy of the implicit IV (in the nonce for AES-GCM, its own for ChaCha20)`, () => {
        const given = bytes(ivLength, 24);
        const p = new AeadProtection(defaultCryptoProvider, suiteById(id)!, bytes(suiteById(id)!.keyLength, 25), given);
        p.seal(ContentType.handshake, 0x0303, bytes(20));
        const held = p as unknown as { nonce: Uint8Array; iv: Uint8Array };
        const holds = (b: Uint8Array): boolean => hex(b).includes(hex(given));
        assert.ok(holds(held.nonce) || holds(held.iv), 'the IV is held before dispose');
        p.dispose();
        assert.ok(held.nonce.every((b) => b === 0) && held.iv.every((b) => b === 0), `nonce ${hex(held.nonce)}, iv ${hex(held.iv)}`);
        assert.ok(given.some((b) => b !== 0), 'the caller\'s IV is the caller\'s: it is not the array wiped');
      });
    }
  });

  describe('close_notify, one side at a time', () => {
    it('after a completed handshake nothing is disposed and data flows both ways', () => {
      const k = connectKeyed();
      assert.deepEqual(state(k), { read: false, write: false });
      exchangeData(k);
      upstream(k);
      downstream(k);
      assert.deepEqual(state(k), { read: false, write: false }, k.crypto.describe());
      assert.equal(k.server.closed, false);
    });

    it('server close(): the write key is wiped after sealing close_notify; the read key stays (half-close)', () => {
      const k = connectKeyed();
      const sealsBefore = k.write.seals;
      k.server.close();
      assert.deepEqual(state(k), { read: false, write: true }, k.crypto.describe());
      assert.equal(k.write.seals, sealsBefore + 1, 'close_notify was sealed with the write key');
      assert.ok(k.server.sentCloseNotify);
      // The alert was sealed before the key went: it is still queued and decrypts.
      expectCloseNotifyOut(k);
      assert.equal(k.server.closed, false, 'reading goes on until the peer closes');
      // Half-close: the client may still send, and the server decrypts it.
      upstream(k, 300, 5);
      upstream(k, 20000, 6);
      assert.deepEqual(state(k), { read: false, write: true });
      assert.equal(k.server.takeOutput(), undefined, 'nothing is sent after close_notify');
      assert.throws(() => k.server.write(Uint8Array.of(1)), /write after close_notify/);
      // A second close() sends nothing and disposes nothing more.
      k.server.close();
      assert.equal(k.server.takeOutput(), undefined);
      assert.equal(k.write.disposeCalls, 1);
    });

    it("the client's close_notify: the read key is wiped; the server can still write", () => {
      const k = connectKeyed();
      k.server.receive(k.client.closeNotify());
      assert.equal(k.server.error, undefined);
      assert.ok(k.server.receivedCloseNotify);
      assert.deepEqual(state(k), { read: true, write: false }, k.crypto.describe());
      assert.equal(k.server.takeOutput(), undefined, 'no answer to close_notify by itself');
      downstream(k, 300, 7);
      downstream(k, 20000, 8);
      assert.deepEqual(state(k), { read: true, write: false });
      // More records from the client are ignored (no error, no plaintext, no output).
      k.server.receive(k.client.write(bytes(10)));
      assert.deepEqual(k.server.takePlaintext(), []);
      assert.equal(k.server.takeOutput(), undefined);
      assert.equal(k.server.error, undefined);
      assert.equal(k.read.disposeCalls, 1);
    });
  });

  describe('both close_notify: both keys wiped, for every suite and either order', () => {
    const suites: Array<[string, number, AeadAlgorithm]> = [
      ['ECDHE-ECDSA-AES128-GCM-SHA256', Suite.AES128_GCM, 'aes-128-gcm'],
      ['ECDHE-ECDSA-AES256-GCM-SHA384', Suite.AES256_GCM, 'aes-256-gcm'],
      ['ECDHE-ECDSA-CHACHA20-POLY1305', Suite.CHACHA20, 'chacha20-poly1305'],
    ];
    for (const [name, id, algorithm] of suites) {
      for (const serverFirst of [true, false]) {
        it(`${name}, ${serverFirst ? 'server' : 'client'} closes first`, () => {
          const k = connectKeyed({ cipherSuites: [id] });
          assert.equal(k.server.cipher?.name, name);
          assert.equal(k.read.algorithm, algorithm);
          assert.equal(k.write.algorithm, algorithm);
          exchangeData(k);
          if (serverFirst) {
            k.server.close();
            assert.deepEqual(state(k), { read: false, write: true });
            expectCloseNotifyOut(k);
            upstream(k);
            k.server.receive(k.client.closeNotify());
          } else {
            k.server.receive(k.client.closeNotify());
            assert.deepEqual(state(k), { read: true, write: false });
            downstream(k);
            k.server.close();
            expectCloseNotifyOut(k);
          }
          assert.equal(k.server.error, undefined);
          assert.deepEqual(state(k), { read: true, write: true }, k.crypto.describe());
          assert.ok(k.server.closed);
          assert.equal(k.server.takeOutput(), undefined);
          assert.equal(k.read.disposeCalls, 1);
          assert.equal(k.write.disposeCalls, 1);
        });
      }
    }
  });

  describe('the noble AEADs refuse to work after dispose()', () => {
    const cases: Array<[AeadAlgorithm, number]> = [
      ['aes-128-gcm', 16],
      ['aes-256-gcm', 32],
      ['chacha20-poly1305', 32],
    ];
    for (const [algorithm, keyLength] of cases) {
      it(`${algorithm}: seal and open throw after dispose; the caller's key is left alone`, () => {
        const key = bytes(keyLength, 3);
        const keyCopy = key.slice();
        const nonce = bytes(12, 4);
        const aad = bytes(13, 5);
        const plaintext = bytes(50, 6);
        const aead = defaultCryptoProvider.aead(algorithm, key);
        assert.equal(typeof aead.dispose, 'function');
        const sealed = aead.seal(nonce, aad, plaintext);
        assert.equal(hex(aead.open(nonce, aad, sealed)!), hex(plaintext));
        aead.dispose!();
        assert.throws(() => aead.seal(nonce, aad, plaintext), /after dispose/);
        assert.throws(() => aead.open(nonce, aad, sealed), /after dispose/);
        assert.throws(() => aead.seal(nonce, aad, new Uint8Array(0)), /after dispose/);
        // Idempotent, and still refusing.
        aead.dispose!();
        assert.throws(() => aead.seal(nonce, aad, plaintext), /after dispose/);
        // The AEAD wipes its own state, not the buffer it was keyed from.
        assert.equal(hex(key), hex(keyCopy));
        // A fresh AEAD under the same key still opens what the disposed one sealed.
        assert.equal(hex(defaultCryptoProvider.aead(algorithm, key).open(nonce, aad, sealed)!), hex(plaintext));
      });
    }

    it('an AES-GCM key that switched to the large GHASH table also refuses after dispose', () => {
      const aead = defaultCryptoProvider.aead('aes-128-gcm', bytes(16, 9));
      const nonce = bytes(12, 1);
      const aad = bytes(13, 2);
      const big = bytes(70 * 1024, 3); // past the 64 KiB after which gcm.ts rebuilds its table
      const sealed = aead.seal(nonce, aad, big);
      assert.equal(hex(aead.open(nonce, aad, sealed)!), hex(big));
      aead.dispose!();
      assert.throws(() => aead.seal(nonce, aad, big), /after dispose/);
      assert.throws(() => aead.open(nonce, aad, sealed), /after dispose/);
    });
  });

  describe('fatal errors', () => {
    it('a record with a flipped bit: bad_record_mac is sealed, then both keys are wiped', () => {
      const k = connectKeyed();
      exchangeData(k);
      const record = k.client.write(bytes(64));
      const sealsBefore = k.write.seals;
      k.server.receive(flipBit(record, record.length - 1));
      assert.equal(k.server.error?.alert, A.bad_record_mac);
      assert.deepEqual(state(k), { read: true, write: true }, k.crypto.describe());
      assert.equal(k.write.seals, sealsBefore + 1, 'the alert was sealed with the write key');
      assert.ok(k.server.closed);
      const out = k.server.takeOutput();
      assert.ok(out, 'the fatal alert is queued');
      const { records, rest } = splitRecords(out);
      assert.equal(rest.length, 0);
      assert.deepEqual(
        records.map((r) => r.type),
        [ContentType.alert],
        'exactly one alert record',
      );
      assert.equal(records[0]!.fragment.length, 8 + 2 + 16, 'an AES-GCM sealed alert (explicit nonce, 2 bytes, tag)');
      const before = k.client.alerts.length;
      k.client.receive(out);
      assert.deepEqual(k.client.alerts.slice(before), [{ level: 2, description: A.bad_record_mac, encrypted: true }]);
      // Nothing more, whatever arrives or is asked.
      k.server.receive(k.client.write(bytes(10)));
      k.server.close();
      assert.equal(k.server.takeOutput(), undefined);
      assert.deepEqual(k.server.takePlaintext(), []);
      assert.throws(() => k.server.write(Uint8Array.of(1)), /after a fatal error/);
      assert.equal(k.read.disposeCalls, 1);
      assert.equal(k.write.disposeCalls, 1);
    });

    it("the client's fatal alert: both keys are wiped and nothing is sent", () => {
      const k = connectKeyed();
      k.server.receive(k.client.alertRecord(2, A.internal_error));
      assert.equal(k.server.error?.alert, A.internal_error);
      assert.equal(k.server.error?.fromPeer, true);
      assert.deepEqual(state(k), { read: true, write: true }, k.crypto.describe());
      assert.equal(k.server.takeOutput(), undefined);
      assert.ok(k.server.closed);
    });

    it('a fatal error after our close_notify: no alert goes out (nothing after close_notify), both keys wiped', () => {
      const k = connectKeyed();
      k.server.close();
      expectCloseNotifyOut(k);
      const record = k.client.write(bytes(64));
      k.server.receive(flipBit(record, record.length - 1));
      assert.equal(k.server.error?.alert, A.bad_record_mac);
      assert.deepEqual(state(k), { read: true, write: true }, k.crypto.describe());
      assert.equal(k.server.takeOutput(), undefined, 'nothing is sent after close_notify, least of all in clear');
    });
  });

  describe('renegotiation after close()', () => {
    it('after close(), a renegotiation ClientHello gets no answer at all (nothing in clear)', () => {
      const k = connectKeyed();
      k.server.close();
      expectCloseNotifyOut(k);
      const hello = k.client.buildClientHello({ renegotiationInfo: new Uint8Array(12), random: new Uint8Array(32).fill(7) });
      k.server.receive(k.client.handshakeRecord(hello));
      assert.equal(k.server.error, undefined, k.server.error?.message);
      assert.equal(k.server.takeOutput(), undefined, 'no no_renegotiation warning (and nothing in clear) after close_notify');
      assert.deepEqual(state(k), { read: false, write: true }, k.crypto.describe());
      // A second attempt, then data: still read, still silent.
      k.server.receive(k.client.handshakeRecord(hello));
      assert.equal(k.server.takeOutput(), undefined);
      upstream(k);
      assert.equal(k.crypto.aeads.length, 2, 'no new keys');
    });

    it('the same renegotiation ClientHello before close() is answered (control for the test above)', () => {
      const k = connectKeyed();
      const hello = k.client.buildClientHello({ renegotiationInfo: new Uint8Array(12), random: new Uint8Array(32).fill(7) });
      k.server.receive(k.client.handshakeRecord(hello));
      const out = k.server.takeOutput();
      assert.ok(out);
      k.client.receive(out);
      assert.deepEqual(k.client.alerts, [{ level: 1, description: A.no_renegotiation, encrypted: true }]);
    });
  });

  describe('dispose()', () => {
    it('wipes both keys; later input is ignored, write() throws, closed is true', () => {
      const k = connectKeyed();
      exchangeData(k);
      k.server.dispose();
      assert.deepEqual(state(k), { read: true, write: true }, k.crypto.describe());
      assert.ok(k.server.closed);
      const opensBefore = k.read.opens;
      k.server.receive(k.client.write(bytes(100)));
      k.server.receive(k.client.closeNotify());
      assert.deepEqual(k.server.takePlaintext(), []);
      assert.equal(k.server.takeOutput(), undefined);
      assert.equal(k.server.error, undefined);
      assert.equal(k.read.opens, opensBefore, 'nothing was opened');
      assert.throws(() => k.server.write(Uint8Array.of(1)), /write after dispose/);
      k.server.close();
      assert.equal(k.server.takeOutput(), undefined, 'close() after dispose sends nothing');
      assert.equal(k.server.sentCloseNotify, false);
      k.server.dispose(); // twice is fine
      assert.equal(k.read.disposeCalls, 1);
      assert.equal(k.write.disposeCalls, 1);
    });

    it('output queued before dispose() can still be taken and decrypts', () => {
      const k = connectKeyed();
      const data = bytes(500, 11);
      k.server.write(data);
      k.server.close();
      k.server.dispose();
      assert.deepEqual(state(k), { read: true, write: true });
      const out = k.server.takeOutput();
      assert.ok(out);
      k.client.receive(out);
      assert.equal(hex(k.client.takePlaintext()), hex(data));
      assert.deepEqual(k.client.alerts, [{ level: 1, description: A.close_notify, encrypted: true }]);
    });

    it('after the client closed and we closed, dispose() wipes nothing twice', () => {
      const k = connectKeyed();
      k.server.receive(k.client.closeNotify());
      k.server.close();
      expectCloseNotifyOut(k);
      k.server.dispose();
      assert.deepEqual(state(k), { read: true, write: true });
      assert.equal(k.read.disposeCalls, 1);
      assert.equal(k.write.disposeCalls, 1);
    });

    it('no keys are agreed after dispose() (a session lookup that answers late is dropped) and nothing is sent', async () => {
      const r = await resumeAcrossDispose();
      // The connection drops an answer that comes after dispose(): the handshake never resumes,
      // so no keys are derived at all (before the wait states, they were derived and wiped at once).
      assert.equal(r.late.length, 0, r.crypto.describe());
      assert.equal(r.server.takeOutput(), undefined, 'nothing is sent after dispose, least of all in clear');
      assert.ok(r.server.closed);
    });

    it('dispose() during an asynchronous session lookup: the late answer neither fails the connection nor evicts the session', async () => {
      const r = await resumeAcrossDispose();
      // Nothing happened on this connection after dispose(): no error of its own making...
      assert.equal(r.server.error, undefined, `error after dispose: ${r.server.error?.message}`);
      // ...and the session it was about to resume is still there for the client's next try.
      assert.deepEqual(r.deleted, [], 'the session was deleted from the cache');
      assert.equal(r.store.size, 1);
    });
  });

  describe('over TCP (node adapter)', () => {
    let running: RunningServer | undefined;
    let clientSocket: tls.TLSSocket | undefined;
    afterEach(async () => {
      clientSocket?.destroy();
      clientSocket = undefined;
      await running?.close();
      running = undefined;
    });

    it('an abrupt TCP close by the client (no close_notify) wipes both keys by the time the socket closes', async () => {
      const crypto = recordingCrypto();
      const cert = testCertificate();
      const context = new TlsContext({ key: cert.keyPem, cert: cert.certPem, tickets: false, crypto });
      let accepted!: (socket: TlsSocket) => void;
      const secure = new Promise<TlsSocket>((resolve) => (accepted = resolve));
      running = await startServer({ context }, (socket) => accepted(socket));
      const client = tls.connect({ port: running.port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
      clientSocket = client;
      client.on('error', () => undefined);
      const [serverSocket] = await Promise.all([secure, once(client, 'secureConnect')]);
      assert.equal(client.getProtocol(), 'TLSv1.2');

      // Data both ways so both keys are in use.
      serverSocket.on('data', (chunk: Buffer) => serverSocket.write(Buffer.concat([Buffer.from('echo:'), chunk])));
      client.write('ping');
      const [reply] = (await once(client, 'data')) as [Buffer];
      assert.equal(reply.toString(), 'echo:ping');

      assert.equal(crypto.aeads.length, 2, crypto.describe());
      const read = crypto.aeads.find((a) => a.opens > 0 && a.seals === 0);
      const write = crypto.aeads.find((a) => a.seals > 0 && a.opens === 0);
      assert.ok(read && write && read !== write, crypto.describe());
      read.label = 'read';
      write.label = 'write';
      assert.equal(read.disposed || write.disposed, false, crypto.describe());

      const closed = once(serverSocket, 'close');
      client.destroy();
      await closed;
      assert.deepEqual({ read: read.disposed, write: write.disposed }, { read: true, write: true }, crypto.describe());
      assert.ok(serverSocket.connection.closed);
    });
  });
});

describe('handshake secrets are wiped when their use ends', () => {
  afterEach(checkNoUseAfterDispose);

  const zero = (b: Uint8Array): boolean => b.every((x) => x === 0);

  /** The HMAC keyed with the session's master secret (the master-secret PRF state). */
  function masterMacOf(crypto: RecordingCrypto, server: ServerConnection): MacRecord {
    const master = server.session!.masterSecret;
    const found = crypto.macs.filter((m) => bytesEqual(m.key, master));
    assert.equal(found.length, 1, 'one HMAC keyed with the master secret');
    return found[0]!;
  }

  /** The HMAC's keyed states as they were right after dispose (recorded then: the objects go on to serve other keys). */
  function hmacStateAfterDispose(mac: MacRecord): Uint8Array {
    assert.ok(mac.stateAfterDispose && mac.stateAfterDispose.length >= 2 * (8 + 32 + 64), 'the HMAC state was recorded at dispose');
    return mac.stateAfterDispose;
  }

  for (const suite of [Suite.AES128_GCM, Suite.AES256_GCM, Suite.CHACHA20]) {
    it(`suite 0x${suite.toString(16)}: the key block is zeros once both directions are keyed, and data still flows`, () => {
      const k = connectKeyed({ cipherSuites: [suite] });
      const info = suiteById(suite)!;
      for (const a of [k.read, k.write]) {
        // Each record key was handed over as a view of the one key block (a fresh PRF output).
        const block = new Uint8Array(a.keyRef.buffer);
        assert.equal(block.length, 2 * (info.keyLength + info.fixedIvLength), 'the whole key block, nothing else');
        assert.ok(zero(block), `key block not wiped: ${hex(block)}`);
      }
      upstream(k);
      downstream(k);
    });
  }

  it('full handshake: the ECDHE shared secret is zeros, the master-secret HMAC disposed and its hash states zeros', () => {
    const k = connectKeyed();
    assert.equal(k.crypto.ephemerals.length, 1);
    const shared = k.crypto.ephemerals[0]!.shared;
    assert.ok(shared && shared.length >= 32, 'the server agreed a shared secret');
    assert.ok(zero(shared), `ECDHE shared secret not wiped: ${hex(shared)}`);
    assert.equal(new Uint8Array(shared.buffer).length, shared.length, 'the secret is a buffer of its own (nothing of it left beside the view)');
    const mac = masterMacOf(k.crypto, k.server);
    assert.ok(mac.disposed, 'master-secret HMAC not disposed');
    assert.ok(zero(hmacStateAfterDispose(mac)), 'HMAC state not zeros');
    // Every HMAC the handshake keyed (with the premaster secret, then the master secret) is disposed.
    assert.equal(k.crypto.macs.length, 2);
    for (const m of k.crypto.macs) {
      assert.ok(m.disposed, `an HMAC keyed with ${m.key.length} bytes was not disposed`);
      assert.ok(zero(hmacStateAfterDispose(m)));
    }
    // The session keeps its master secret: it is what resumes.
    assert.ok(!zero(k.server.session!.masterSecret));
    upstream(k);
  });

  it('the shared secret of every group is wiped (X25519, P-256, P-384)', () => {
    for (const [groups, length] of [['X25519', 32], ['P-256', 32], ['P-384', 48]] as const) {
      const crypto = recordingCrypto();
      const server = new ServerConnection(makeContext({ crypto, tickets: false, groups }));
      const client = new TlsClient();
      handshakeInMemory(client, server);
      assert.ok(server.handshakeComplete, server.error?.message);
      const shared = crypto.ephemerals[0]!.shared!;
      assert.equal(shared.length, length);
      assert.ok(zero(new Uint8Array(shared.buffer)), groups);
    }
  });

  it('resumption: the master-secret HMAC is disposed after the client Finished', () => {
    const crypto = recordingCrypto();
    const context = makeContext({ crypto, tickets: false });
    const first = new TlsClient();
    handshakeInMemory(first, new ServerConnection(context));
    const client = new TlsClient({ resume: first.session! });
    const server = new ServerConnection(context);
    const before = crypto.macs.length;
    handshakeInMemory(client, server);
    assert.ok(client.resumed && server.handshakeComplete);
    const resumed = crypto.macs.slice(before).filter((m) => bytesEqual(m.key, server.session!.masterSecret));
    assert.equal(resumed.length, 1);
    assert.ok(resumed[0]!.disposed);
    assert.ok(zero(hmacStateAfterDispose(resumed[0]!)));
  });

  for (const kind of ['full', 'session-id', 'ticket', 'client certificate'] as const) {
    it(`${kind}: the transcript's running hash is disposed once both Finished messages are done, and never used after`, () => {
      const crypto = recordingCrypto();
      const auth = kind === 'client certificate';
      const context = makeContext({
        crypto,
        tickets: kind === 'ticket',
        ...(auth ? { requestCert: true, ca: clientCerts().root.pem, sessionIdContext: 'transcript' } : {}),
      });
      const leaf = clientCerts().p256;
      const first = new TlsClient({
        ...(auth ? { clientCertificate: { chain: [leaf.der], key: leaf.keyPem } } : {}),
        ...(kind === 'ticket' ? { sessionTicket: new Uint8Array(0) } : {}),
      });
      const firstServer = new ServerConnection(context);
      handshakeInMemory(first, firstServer);
      let pair: Pair = { client: first, server: firstServer };
      if (kind === 'session-id' || kind === 'ticket') {
        const session = first.session!;
        if (kind === 'session-id') delete session.ticket;
        else assert.ok(session.ticket, 'a ticket was issued');
        pair = { client: new TlsClient({ resume: session }), server: new ServerConnection(context) };
        handshakeInMemory(pair.client, pair.server);
        assert.equal(pair.server.negotiated?.resumedBy, kind);
      }
      assert.ok(pair.server.handshakeComplete, pair.server.error?.message);
      // Every handshake's transcript hash (the first one's too, when this one resumed it).
      assert.equal(crypto.hashes.length, kind === 'session-id' || kind === 'ticket' ? 2 : 1);
      for (const h of crypto.hashes) {
        assert.ok(h.disposed, 'transcript hash not disposed');
        assert.equal(h.usedAfterDispose, 0);
      }
      exchangeData(pair);
      assert.equal(crypto.hashes.filter((h) => h.usedAfterDispose > 0).length, 0);
    });
  }

  it('a handshake that fails after the key exchange (bad Finished) disposes the master-secret HMAC', () => {
    const crypto = recordingCrypto();
    const client = new TlsClient({ autoRespond: false });
    const server = new ServerConnection(makeContext({ crypto, tickets: false }));
    server.receive(client.start());
    client.receive(server.takeOutput()!);
    server.receive(client.secondFlight({ tamperFinished: true }));
    assert.equal(server.error?.alert, A.decrypt_error);
    assert.equal(crypto.macs.filter((m) => m.key.length === 48).length, 1);
    const mac = crypto.macs.find((m) => m.key.length === 48)!;
    assert.ok(mac.disposed);
    assert.ok(zero(hmacStateAfterDispose(mac)));
  });

  it('a handshake that ends before the key exchange (a fatal alert, or dispose()) wipes the ECDHE private key unused', () => {
    for (const end of ['alert', 'dispose'] as const) {
      const crypto = recordingCrypto();
      const client = new TlsClient({ autoRespond: false });
      const server = new ServerConnection(makeContext({ crypto, tickets: false }));
      server.receive(client.start());
      assert.equal(crypto.ephemerals.length, 1);
      assert.equal(crypto.ephemerals[0]!.disposed, false);
      if (end === 'alert') server.receive(client.alertRecord(2, A.handshake_failure));
      else server.dispose();
      assert.ok(crypto.ephemerals[0]!.disposed, end);
      assert.equal(crypto.ephemerals[0]!.shared, undefined, 'never used');
    }
  });

  it('noble ephemeral keys: one agreement at most, and a second call gets nothing (the private key is gone)', () => {
    for (const group of ['x25519', 'secp256r1', 'secp384r1'] as const) {
      const ours = defaultCryptoProvider.generateEphemeralKey(group);
      const peer = defaultCryptoProvider.generateEphemeralKey(group);
      const shared = ours.agree(peer.publicKey);
      assert.ok(shared && !zero(shared), group);
      assert.equal(ours.agree(peer.publicKey), null, `${group}: a second agreement`);
      const unused = defaultCryptoProvider.generateEphemeralKey(group);
      unused.dispose?.();
      assert.equal(unused.agree(peer.publicKey), null, `${group}: after dispose`);
    }
  });
});
