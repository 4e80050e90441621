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
import type {
  Aead,
  AeadAlgorithm,
  CryptoProvider,
  EcdheGroup,
  EcdsaCurve,
  EcdsaSigningKey,
  EddsaAlgorithm,
  EddsaSigningKey,
  EphemeralKey,
  HashAlgorithm,
  KeyedMac,
  RsaPadding,
  RsaPrivateKeyParts,
  RsaSignatureScheme,
  RsaSigningKey,
  RunningHash,
  SignatureHash,
} from '../../src/crypto/provider.js';
import { AlertDescription as A } from '../../src/errors.js';
import { suiteById } from '../../src/handshake/suites.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { AeadProtection } from '../../src/record/aead.js';
import { RecordLayer } from '../../src/record/record-layer.js';
import { MemorySessionCache } from '../../src/session/memory-cache.js';
import type { Session } from '../../src/session/session.js';
import type { SessionCache } from '../../src/session/cache.js';
import { exchangeData, makeContext, type Pair } from '../handshake/harness.js';
import { startServer, testCertificate, type RunningServer } from '../helpers/fixtures.js';
import {
  ContentType,
  Suite,
  TlsClient,
  bytesEqual,
  flipBit,
  handshakeInMemory,
  hex,
  splitRecords,
  type ClientOptions,
} from '../helpers/tls-client.js';

// ---------------------------------------------------------------------------------------
// A CryptoProvider that records the AEADs it makes

interface AeadRecord {
  /** Order of creation within this provider, from 0. */
  readonly order: number;
  readonly algorithm: AeadAlgorithm;
  /** A copy of the key as given (the real AEAD may wipe its own). */
  readonly key: Uint8Array;
  /** 'read' / 'write' once a test has identified it. */
  label: string | undefined;
  seals: number;
  opens: number;
  disposeCalls: number;
  /** seal/open calls that reached the wrapper after dispose(). */
  usedAfterDispose: number;
  disposed: boolean;
}

class RecordingCrypto implements CryptoProvider {
  readonly aeads: AeadRecord[] = [];

  constructor(private readonly inner: CryptoProvider = defaultCryptoProvider) {}

  randomBytes(length: number): Uint8Array {
    return this.inner.randomBytes(length);
  }
  hash(algorithm: HashAlgorithm): RunningHash {
    return this.inner.hash(algorithm);
  }
  hmac(algorithm: HashAlgorithm, key: Uint8Array): KeyedMac {
    return this.inner.hmac(algorithm, key);
  }
  generateEphemeralKey(group: EcdheGroup): EphemeralKey {
    return this.inner.generateEphemeralKey(group);
  }
  ecdsaSigningKey(curve: EcdsaCurve, secret: Uint8Array): EcdsaSigningKey {
    return this.inner.ecdsaSigningKey(curve, secret);
  }
  ecdsaVerify(curve: EcdsaCurve, publicKey: Uint8Array, hash: SignatureHash, message: Uint8Array, signature: Uint8Array): boolean {
    return this.inner.ecdsaVerify(curve, publicKey, hash, message, signature);
  }
  rsaSigningKey(key: RsaPrivateKeyParts): RsaSigningKey {
    return this.inner.rsaSigningKey(key);
  }
  rsaVerify(publicKey: Uint8Array, padding: RsaSignatureScheme | RsaPadding, message: Uint8Array, signature: Uint8Array): boolean {
    return this.inner.rsaVerify(publicKey, padding, message, signature);
  }
  eddsaSigningKey(algorithm: EddsaAlgorithm, secret: Uint8Array): EddsaSigningKey {
    return this.inner.eddsaSigningKey(algorithm, secret);
  }
  eddsaVerify(algorithm: EddsaAlgorithm, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    return this.inner.eddsaVerify(algorithm, publicKey, message, signature);
  }

  aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
    const real = this.inner.aead(algorithm, key);
    const rec: AeadRecord = {
      order: this.aeads.length,
      algorithm,
      key: key.slice(),
      label: undefined,
      seals: 0,
      opens: 0,
      disposeCalls: 0,
      usedAfterDispose: 0,
      disposed: false,
    };
    this.aeads.push(rec);
    return {
      seal(nonce, aad, plaintext) {
        if (rec.disposed) rec.usedAfterDispose++;
        rec.seals++;
        return real.seal(nonce, aad, plaintext);
      },
      open(nonce, aad, ciphertextAndTag) {
        if (rec.disposed) rec.usedAfterDispose++;
        rec.opens++;
        return real.open(nonce, aad, ciphertextAndTag);
      },
      dispose() {
        rec.disposeCalls++;
        rec.disposed = true;
        real.dispose?.();
      },
    };
  }

  /** One line per AEAD, for assertion messages. */
  describe(): string {
    return this.aeads
      .map((a) => `#${a.order} ${a.label ?? '?'} ${a.algorithm} seals=${a.seals} opens=${a.opens} disposed=${a.disposed}`)
      .join('; ');
  }
}

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

    it('keys agreed after dispose() (a session lookup that answers late) are wiped at once and nothing is sent', async () => {
      const r = await resumeAcrossDispose();
      // The resumption derives its keys as soon as the lookup answers: they are wiped straight away.
      assert.equal(r.late.length, 2, r.crypto.describe());
      for (const a of r.late) assert.ok(a.disposed, `keys agreed after dispose were not wiped: ${r.crypto.describe()}`);
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
