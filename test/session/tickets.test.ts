import assert from 'node:assert/strict';
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, it } from 'mocha';
import { bitString, explicit, octetString, sequence, uint } from '../../src/codec/der.js';
import { NobleCryptoProvider, defaultCryptoProvider } from '../../src/crypto/noble.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { TlsConfigError } from '../../src/errors.js';
import { RecordingCrypto, type AeadRecord } from '../helpers/recording-crypto.js';
import { Session, type SessionFields } from '../../src/session/session.js';
import {
  MAX_CONTEXT_KEYS_PER_SHARED_KEY,
  TICKET_KEYS_LENGTH,
  TICKET_KEY_INFO,
  TICKET_MAX_LENGTH,
  TICKET_OVERHEAD,
  TicketKeyring,
  hkdfSha256,
  type TicketKeyringOptions,
  type TicketKeySet,
  type TicketKeySource,
} from '../../src/session/tickets.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** The keyring's Map key for a ticket key name (nameKey in tickets.ts): its bytes as latin1. */
const nameKey = (name: Uint8Array): string => Buffer.from(name).toString('latin1');
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

const LIFETIME = 300;
const T0 = 1_700_000_000_000;

/** An X.509-shaped blob (SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }) of adjustable size. */
function fakeCertificate(padding: number): Uint8Array {
  return sequence(sequence(octetString(new Uint8Array(padding).fill(0x5a))), sequence(), bitString(Uint8Array.of(1, 2, 3)));
}

function sample(changes: Partial<SessionFields> = {}): Session {
  return new Session({
    version: 0x0303,
    cipherSuite: 0xc02b,
    sessionId: new Uint8Array(0),
    masterSecret: Uint8Array.from({ length: 48 }, (_, i) => (i * 7 + 3) & 0xff),
    sidCtx: utf8('puretls-test/ctx'),
    createdAt: 1_700_000_000,
    timeout: LIFETIME,
    extendedMasterSecret: true,
    serverName: 'example.test',
    alpn: 'h2',
    peerCertificate: fakeCertificate(40),
    verifyResult: 0,
    ...changes,
  });
}

function fixedKeys(seed: number): Uint8Array {
  return Uint8Array.from({ length: TICKET_KEYS_LENGTH }, (_, i) => (seed * 31 + i * 13) & 0xff);
}

/** A keyring on a clock the test moves by hand. */
function ring(options: Partial<TicketKeyringOptions> = {}): { keyring: TicketKeyring; clock: { t: number } } {
  const clock = { t: T0 };
  const keyring = new TicketKeyring({ crypto: defaultCryptoProvider, now: () => clock.t, lifetimeSeconds: LIFETIME, ...options });
  return { keyring, clock };
}

function assertSameSession(actual: Session, expected: Session): void {
  assert.equal(actual.version, expected.version);
  assert.equal(actual.cipherSuite, expected.cipherSuite);
  assert.deepEqual(actual.sessionId, expected.sessionId);
  assert.deepEqual(actual.masterSecret, expected.masterSecret);
  assert.deepEqual(actual.sidCtx, expected.sidCtx);
  assert.equal(actual.createdAt, expected.createdAt);
  assert.equal(actual.timeout, expected.timeout);
  assert.equal(actual.extendedMasterSecret, expected.extendedMasterSecret);
  assert.equal(actual.serverName, expected.serverName);
  assert.equal(actual.alpn, expected.alpn);
  assert.deepEqual(actual.peerCertificate, expected.peerCertificate);
  assert.equal(actual.verifyResult ?? 0, expected.verifyResult ?? 0);
  assert.deepEqual(actual.toDER(), expected.toDER());
}

/** open() must return undefined and never throw. */
function assertRejected(keyring: TicketKeyring, ticket: Uint8Array, what: string): void {
  let result: ReturnType<TicketKeyring['open']>;
  try {
    result = keyring.open(ticket);
  } catch (e) {
    assert.fail(`open threw on ${what}: ${String(e)}`);
  }
  assert.equal(result, undefined, `accepted ${what}`);
}

function opened(keyring: TicketKeyring, ticket: Uint8Array): { session: Session; renew: boolean } {
  const result = keyring.open(ticket);
  assert.ok(result, 'ticket did not open');
  return result;
}

/** Seals `plaintext` exactly as the keyring does, from the 48 node-format bytes, independently of tickets.ts. */
function sealIndependently(keys: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const name = keys.subarray(0, 16);
  const aeadKey = hkdf(sha256, keys.subarray(16), undefined, utf8(TICKET_KEY_INFO), 32);
  const sealed = gcm(aeadKey, nonce, name).encrypt(plaintext);
  return Uint8Array.from([...name, ...nonce, ...sealed]);
}

describe('session tickets (RFC 5077)', () => {
  describe('sealing and opening', () => {
    it('round-trips every session field, sid_ctx included', () => {
      const { keyring } = ring();
      for (const session of [
        sample(),
        sample({ sidCtx: new Uint8Array(0), serverName: undefined, alpn: undefined, peerCertificate: undefined }),
        sample({ sidCtx: new Uint8Array(32).fill(0xff), sessionId: new Uint8Array(32).fill(7), extendedMasterSecret: false, verifyResult: 20 }),
      ]) {
        const { session: back, renew } = opened(keyring, keyring.seal(session));
        assert.equal(renew, false);
        assertSameSession(back, session);
      }
    });

    it('has the layout key_name(16) || nonce(12) || AES-256-GCM(session DER) with the tag, AAD = key name', () => {
      const { keyring } = ring({ keys: fixedKeys(1) });
      const session = sample();
      const ticket = keyring.seal(session);
      const der = session.toDER();
      assert.equal(ticket.length, der.length + TICKET_OVERHEAD);
      assert.equal(TICKET_OVERHEAD, 16 + 12 + 16);
      assert.deepEqual(ticket.subarray(0, 16), fixedKeys(1).subarray(0, 16));
      // An independent implementation (noble's HKDF and GCM) makes the same ticket from the same nonce.
      assert.deepEqual(ticket, sealIndependently(fixedKeys(1), ticket.subarray(16, 28), der));
    });

    it('takes every nonce from the provider, fresh for every ticket', () => {
      let counter = 0;
      const requests: number[] = [];
      const crypto: CryptoProvider = new NobleCryptoProvider({
        randomBytes: (n) => {
          requests.push(n);
          return Uint8Array.from({ length: n }, () => counter++ & 0xff);
        },
      });
      const keyring = new TicketKeyring({ crypto, now: () => T0, lifetimeSeconds: LIFETIME, keys: fixedKeys(2) });
      const a = keyring.seal(sample());
      const b = keyring.seal(sample());
      assert.deepEqual(requests, [12, 12]);
      assert.deepEqual(a.subarray(16, 28), Uint8Array.from({ length: 12 }, (_, i) => i));
      assert.deepEqual(b.subarray(16, 28), Uint8Array.from({ length: 12 }, (_, i) => 12 + i));
      assert.notDeepEqual(a, b);
      assert.ok(keyring.open(a) && keyring.open(b));
    });

    it('derives the AEAD key with HKDF-SHA256 over the provider (RFC 5869 test case 1, and noble agrees)', () => {
      const ikm = unhex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b');
      const salt = unhex('000102030405060708090a0b0c');
      const info = unhex('f0f1f2f3f4f5f6f7f8f9');
      const okm = unhex(`3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf
                         34007208d5b887185865`);
      assert.deepEqual(hkdfSha256(defaultCryptoProvider, ikm, salt, info, 42), okm);
      const secret = fixedKeys(3).subarray(16);
      assert.deepEqual(
        hkdfSha256(defaultCryptoProvider, secret, new Uint8Array(0), utf8(TICKET_KEY_INFO), 32),
        hkdf(sha256, secret, undefined, utf8(TICKET_KEY_INFO), 32),
      );
    });

    it('seals a session up to the 16-bit ticket limit and refuses a larger one', () => {
      const { keyring } = ring();
      const sizeWith = (padding: number): number => sample({ peerCertificate: fakeCertificate(padding) }).toDER().length;
      const target = TICKET_MAX_LENGTH - TICKET_OVERHEAD;
      let padding = target - (sizeWith(0) - 0);
      while (sizeWith(padding) > target) padding--;
      while (sizeWith(padding + 1) <= target) padding++;
      assert.equal(sizeWith(padding), target);
      const biggest = sample({ peerCertificate: fakeCertificate(padding) });
      const ticket = keyring.seal(biggest);
      assert.equal(ticket.length, TICKET_MAX_LENGTH);
      assertSameSession(opened(keyring, ticket).session, biggest);
      assert.throws(() => keyring.seal(sample({ peerCertificate: fakeCertificate(padding + 1) })), RangeError);
    });
  });

  describe('shared keys', () => {
    it('two keyrings with the same 48 bytes open each other’s tickets', () => {
      const a = ring({ keys: fixedKeys(4) }).keyring;
      const b = ring({ keys: fixedKeys(4) }).keyring;
      const session = sample();
      assertSameSession(opened(b, a.seal(session)).session, session);
      assertSameSession(opened(a, b.seal(session)).session, session);
      assert.equal(opened(b, a.seal(session)).renew, false);
    });

    it('keyrings with different keys do not', () => {
      const a = ring({ keys: fixedKeys(5) }).keyring;
      const b = ring({ keys: fixedKeys(6) }).keyring;
      const c = ring().keyring;
      assertRejected(b, a.seal(sample()), 'a ticket under other keys');
      assertRejected(a, b.seal(sample()), 'a ticket under other keys');
      assertRejected(a, c.seal(sample()), 'a ticket under generated keys');
      // Same key name, different secret: the name matches, the tag does not.
      const sameName = fixedKeys(5);
      sameName[40] ^= 1;
      assertRejected(ring({ keys: sameName }).keyring, a.seal(sample()), 'a ticket under a different secret with the same name');
    });

    it('generated keys are random and 48 bytes', () => {
      const a = ring().keyring.getTicketKeys();
      const b = ring().keyring.getTicketKeys();
      assert.equal(a.length, TICKET_KEYS_LENGTH);
      assert.notDeepEqual(a, b);
    });
  });

  describe('rotation of generated keys', () => {
    it('rotates lazily after rotationSeconds; the old key opens with renew until lifetime after rotation', () => {
      const { keyring, clock } = ring({ rotationSeconds: 100 });
      const first = keyring.getTicketKeys();
      const old = keyring.seal(sample());

      clock.t = T0 + 100_000 - 1;
      assert.equal(opened(keyring, old).renew, false);
      assert.deepEqual(keyring.seal(sample()).subarray(0, 16), first.subarray(0, 16));

      // Due but not yet rotated (nothing sealed): already reported as needing renewal.
      clock.t = T0 + 100_000;
      assert.equal(opened(keyring, old).renew, true);

      // The first seal after the period rotates.
      clock.t = T0 + 150_000;
      const fresh = keyring.seal(sample());
      const second = keyring.getTicketKeys();
      assert.notDeepEqual(second, first);
      assert.deepEqual(fresh.subarray(0, 16), second.subarray(0, 16));
      assert.equal(opened(keyring, fresh).renew, false);
      assert.equal(opened(keyring, old).renew, true);
      assertSameSession(opened(keyring, old).session, sample());

      // The retired key opens until lifetime after it stopped being current (T0 + 150 s), then never.
      clock.t = T0 + 150_000 + LIFETIME * 1000;
      assert.equal(opened(keyring, old).renew, true);
      clock.t += 1;
      assertRejected(keyring, old, 'a ticket under a key retired longer than the lifetime');
      clock.t = T0 + 150_000; // even if the clock steps back: the key is gone
      assertRejected(keyring, old, 'a ticket under a dropped key');
      assert.equal(opened(keyring, fresh).renew, false);
    });

    it('defaults rotationSeconds to lifetimeSeconds', () => {
      const { keyring, clock } = ring();
      const first = keyring.getTicketKeys();
      clock.t = T0 + LIFETIME * 1000 - 1;
      assert.deepEqual(keyring.getTicketKeys(), first);
      clock.t = T0 + LIFETIME * 1000;
      assert.notDeepEqual(keyring.getTicketKeys(), first);
    });

    it('keeps several retired keys, each for its own window', () => {
      const { keyring, clock } = ring({ rotationSeconds: 100 });
      const tickets: Uint8Array[] = [];
      for (let i = 0; i < 5; i++) {
        clock.t = T0 + i * 100_000;
        tickets.push(keyring.seal(sample()));
      }
      assert.equal(new Set(tickets.map((t) => hex(t.subarray(0, 16)))).size, 5);
      // Ticket i's key retired at T0 + (i + 1) * 100 s.
      clock.t = T0 + 2 * 100_000 + LIFETIME * 1000 + 1;
      assertRejected(keyring, tickets[0]!, 'ticket 0');
      assertRejected(keyring, tickets[1]!, 'ticket 1');
      assert.equal(opened(keyring, tickets[2]!).renew, true);
      assert.equal(opened(keyring, tickets[3]!).renew, true);
      assert.equal(opened(keyring, tickets[4]!).renew, true); // current, but due for rotation
    });

    it('application keys never rotate by themselves', () => {
      const { keyring, clock } = ring({ keys: fixedKeys(7), rotationSeconds: 1 });
      const ticket = keyring.seal(sample());
      clock.t = T0 + 100 * LIFETIME * 1000;
      assert.deepEqual(keyring.getTicketKeys(), fixedKeys(7));
      assert.deepEqual(keyring.seal(sample()).subarray(0, 16), fixedKeys(7).subarray(0, 16));
      assert.equal(opened(keyring, ticket).renew, false);
    });
  });

  describe('setTicketKeys', () => {
    it('makes the new key current and keeps the previous one opening for the lifetime', () => {
      const { keyring, clock } = ring({ keys: fixedKeys(8) });
      const old = keyring.seal(sample());
      clock.t = T0 + 10_000;
      keyring.setTicketKeys(fixedKeys(9));
      assert.deepEqual(keyring.getTicketKeys(), fixedKeys(9));
      const fresh = keyring.seal(sample());
      assert.deepEqual(fresh.subarray(0, 16), fixedKeys(9).subarray(0, 16));
      assert.equal(opened(keyring, fresh).renew, false);
      assert.equal(opened(keyring, old).renew, true);
      clock.t = T0 + 10_000 + LIFETIME * 1000;
      assert.equal(opened(keyring, old).renew, true);
      clock.t += 1;
      assertRejected(keyring, old, 'a ticket under a key replaced longer than the lifetime ago');
      assert.equal(opened(keyring, fresh).renew, false);
    });

    it('lets a fleet roll keys: a host with the new key opens tickets of a host still on the old one, and back', () => {
      const { keyring: rolled } = ring({ keys: fixedKeys(10) });
      const { keyring: notYet } = ring({ keys: fixedKeys(10) });
      rolled.setTicketKeys(fixedKeys(11));
      assert.equal(opened(rolled, notYet.seal(sample())).renew, true);
      assertRejected(notYet, rolled.seal(sample()), 'a ticket under a key this host does not have yet');
      notYet.setTicketKeys(fixedKeys(11));
      assert.equal(opened(notYet, rolled.seal(sample())).renew, false);
    });

    it('setting the current keys again changes nothing', () => {
      const { keyring, clock } = ring({ keys: fixedKeys(12) });
      const ticket = keyring.seal(sample());
      keyring.setTicketKeys(fixedKeys(12));
      clock.t = T0 + 10 * LIFETIME * 1000;
      keyring.setTicketKeys(fixedKeys(12));
      assert.equal(opened(keyring, ticket).renew, false);
    });

    it('a reused key name replaces the key of that name', () => {
      const { keyring } = ring({ keys: fixedKeys(13) });
      const ticket = keyring.seal(sample());
      const sameName = fixedKeys(13);
      sameName[47] ^= 0x80;
      keyring.setTicketKeys(sameName);
      assertRejected(keyring, ticket, 'a ticket under a key whose name was reused');
      assert.equal(opened(keyring, keyring.seal(sample())).renew, false);
      // Rolling back to a retired key makes it current again.
      keyring.setTicketKeys(fixedKeys(14));
      const under14 = keyring.seal(sample());
      keyring.setTicketKeys(sameName);
      assert.equal(opened(keyring, under14).renew, true);
      keyring.setTicketKeys(fixedKeys(14));
      assert.equal(opened(keyring, under14).renew, false);
    });

    it('stops the automatic rotation of generated keys', () => {
      const { keyring, clock } = ring({ rotationSeconds: 10 });
      keyring.setTicketKeys(fixedKeys(15));
      clock.t = T0 + 100 * LIFETIME * 1000;
      assert.deepEqual(keyring.getTicketKeys(), fixedKeys(15));
      assert.equal(opened(keyring, keyring.seal(sample())).renew, false);
    });

    it('rejects keys that are not 48 bytes and keeps the old keys', () => {
      const { keyring, clock } = ring({ keys: fixedKeys(16) });
      const ticket = keyring.seal(sample());
      for (const length of [0, 1, 16, 32, 47, 49, 64, 80]) {
        assert.throws(
          () => keyring.setTicketKeys(new Uint8Array(length).fill(9)),
          (e: unknown) => e instanceof TlsConfigError && e.reason === 'ERR_INVALID_TICKET_KEYS',
          `length ${length}`,
        );
      }
      for (const notBytes of [undefined, null, 'x'.repeat(48), Array.from(fixedKeys(17))]) {
        assert.throws(
          () => keyring.setTicketKeys(notBytes as unknown as Uint8Array),
          (e: unknown) => e instanceof TlsConfigError && e.reason === 'ERR_INVALID_TICKET_KEYS',
        );
      }
      assert.deepEqual(keyring.getTicketKeys(), fixedKeys(16));
      clock.t = T0 + 10 * LIFETIME * 1000;
      assert.equal(opened(keyring, ticket).renew, false);
      assert.deepEqual(keyring.seal(sample()).subarray(0, 16), fixedKeys(16).subarray(0, 16));
    });

    it('the constructor rejects bad keys and bad times', () => {
      const isCode = (code: string) => (e: unknown) => e instanceof TlsConfigError && e.reason === code;
      assert.throws(() => ring({ keys: new Uint8Array(80) }), isCode('ERR_INVALID_TICKET_KEYS'));
      assert.throws(() => ring({ lifetimeSeconds: -1 }), isCode('ERR_INVALID_ARG_VALUE'));
      assert.throws(() => ring({ lifetimeSeconds: Number.NaN }), isCode('ERR_INVALID_ARG_VALUE'));
      assert.throws(() => ring({ rotationSeconds: 0 }), isCode('ERR_INVALID_ARG_VALUE'));
      assert.throws(() => ring({ rotationSeconds: Infinity }), isCode('ERR_INVALID_ARG_VALUE'));
    });
  });

  describe('key hygiene: a key that can no longer open anything is wiped', () => {
    /** The keyring's own key objects (private: what a heap dump would show). */
    const heldKeys = (k: TicketKeyring): Array<{ material: Uint8Array }> =>
      [...(k as unknown as { keys: Map<string, { material: Uint8Array }> }).keys.values()];
    const zero = (b: Uint8Array): boolean => b.every((x) => x === 0);

    it('the HKDF output keying the AEAD is zeros once the AEAD has it; the key bytes and the AEAD go when the key is pruned', () => {
      const crypto = new RecordingCrypto();
      const { keyring, clock } = ring({ crypto, rotationSeconds: 60 });
      const ticket = keyring.seal(sample());
      const [first] = heldKeys(keyring);
      const firstMaterial = first!.material;
      assert.equal(crypto.aeads.length, 1);
      const firstAead = crypto.aeads[0]!;
      assert.ok(zero(firstAead.keyRef), 'the derived AES-256-GCM key handed to the AEAD is wiped right away');
      assert.ok(!zero(firstMaterial));
      // Every HMAC of the derivation (HKDF extract and expand) was disposed.
      assert.ok(crypto.macs.length >= 2 && crypto.macs.every((m) => m.disposed), 'HKDF HMACs disposed');

      clock.t += 61_000;
      keyring.seal(sample()); // rotates: the first key is retired, still opening
      assert.ok(keyring.open(ticket), 'a retired key still opens its tickets');
      assert.ok(!zero(firstMaterial) && !firstAead.disposed);
      clock.t += LIFETIME * 1000 + 1;
      assert.equal(keyring.open(ticket), undefined, 'pruned');
      assert.ok(zero(firstMaterial), 'the pruned key\'s 48 bytes are zeros');
      assert.ok(firstAead.disposed, 'the pruned key\'s AES-GCM key schedule is wiped');
      assert.equal(heldKeys(keyring).length, 1);
    });

    /** A TicketKeySource whose set the test replaces by hand (a new object each time, as a source does on change). */
    class MutableSource implements TicketKeySource {
      readonly ticketLifetimeSeconds = LIFETIME;
      set: TicketKeySet;
      constructor(current: Uint8Array, decryptOnly: Uint8Array[] = []) {
        this.set = { current, decryptOnly };
      }
      ticketKeys(): TicketKeySet {
        return this.set;
      }
      use(current: Uint8Array, decryptOnly: Uint8Array[] = []): void {
        this.set = { current, decryptOnly };
      }
    }
    /** The keyring's shared keys, by hex name (private: what a heap dump would show). */
    const sharedKeys = (k: TicketKeyring): Map<string, { material: Uint8Array }> =>
      (k as unknown as { sharedKeys: Map<string, { material: Uint8Array }> }).sharedKeys;
    const named = (seed: number, name: Uint8Array): Uint8Array => {
      const keys = fixedKeys(seed);
      keys.set(name);
      return keys;
    };
    const inContext = (sidCtx: string): Session => sample({ sidCtx: utf8(sidCtx) });

    interface Leaving {
      /** The 48 bytes the keyring holds for the key that leaves (undefined: the key stays, only derived keys go). */
      material: Uint8Array | undefined;
      /** The AEADs keyed from it. */
      aeads: AeadRecord[];
      /** Makes the key (or its derived AEADs) leave. */
      leave(): void;
      /** What the keyring can no longer do afterwards. */
      gone(): void;
    }
    /** Every way key material leaves a keyring, each set up with RecordingCrypto. */
    const ways: Array<[string, (crypto: RecordingCrypto) => Leaving]> = [
      ['a retired local key, pruned lifetimeSeconds after retirement', (crypto) => {
        const { keyring, clock } = ring({ crypto, rotationSeconds: 60 });
        const ticket = keyring.seal(sample());
        const material = heldKeys(keyring)[0]!.material;
        return {
          material,
          aeads: [crypto.aeads[0]!],
          leave: () => {
            clock.t += 61_000;
            keyring.seal(sample()); // rotates: retired, still opening
            assert.ok(keyring.open(ticket), 'a retired key opens its tickets until pruned');
            clock.t += LIFETIME * 1000 + 1;
          },
          gone: () => assert.equal(keyring.open(ticket), undefined),
        };
      }],
      ['a local key replaced by setTicketKeys under the same name', (crypto) => {
        const { keyring } = ring({ crypto, keys: fixedKeys(1) });
        const ticket = keyring.seal(sample());
        return {
          material: heldKeys(keyring)[0]!.material,
          aeads: [crypto.aeads[0]!],
          leave: () => keyring.setTicketKeys(named(2, fixedKeys(1).subarray(0, 16))),
          gone: () => assert.equal(keyring.open(ticket), undefined),
        };
      }],
      ['a shared key the source drops', (crypto) => {
        const source = new MutableSource(fixedKeys(3), [fixedKeys(4)]);
        const { keyring } = ring({ crypto, source });
        const before = crypto.aeads.length; // the unused local key's
        const tickets = [keyring.seal(inContext('a')), keyring.seal(inContext('b'))];
        const material = sharedKeys(keyring).get(nameKey(fixedKeys(3).subarray(0, 16)))!.material;
        return {
          material,
          aeads: crypto.aeads.slice(before),
          leave: () => {
            source.use(fixedKeys(4)); // the decrypt-only key becomes current, the old current goes
            keyring.seal(inContext('a'));
          },
          gone: () => assert.deepEqual(tickets.map((t, i) => keyring.open(t, utf8('ab'[i]!))), [undefined, undefined]),
        };
      }],
      ['a shared key the source brings back under the same name with other bytes', (crypto) => {
        const source = new MutableSource(fixedKeys(5));
        const { keyring } = ring({ crypto, source });
        const before = crypto.aeads.length;
        const tickets = [keyring.seal(inContext('a')), keyring.seal(inContext('b'))];
        const material = sharedKeys(keyring).get(nameKey(fixedKeys(5).subarray(0, 16)))!.material;
        return {
          material,
          aeads: crypto.aeads.slice(before),
          leave: () => {
            source.use(named(6, fixedKeys(5).subarray(0, 16)));
            keyring.seal(inContext('a'));
          },
          gone: () => assert.deepEqual(tickets.map((t, i) => keyring.open(t, utf8('ab'[i]!))), [undefined, undefined]),
        };
      }],
      [`the AEADs derived from a shared key, past ${MAX_CONTEXT_KEYS_PER_SHARED_KEY} session id contexts`, (crypto) => {
        const { keyring } = ring({ crypto, source: new MutableSource(fixedKeys(7)) });
        const before = crypto.aeads.length;
        const tickets = Array.from({ length: MAX_CONTEXT_KEYS_PER_SHARED_KEY }, (_, i) => keyring.seal(inContext(`ctx ${i}`)));
        const aeads = crypto.aeads.slice(before);
        assert.equal(aeads.length, MAX_CONTEXT_KEYS_PER_SHARED_KEY);
        return {
          material: undefined,
          aeads,
          leave: () => void keyring.seal(inContext('one context too many')),
          // The ticket still opens (the key stays): under a key derived again, not the disposed one.
          gone: () => {
            assert.ok(keyring.open(tickets[0]!, utf8('ctx 0')));
            assert.equal(aeads[0]!.usedAfterDispose, 0);
          },
        };
      }],
    ];

    it('every way a ticket key leaves the keyring wipes what was held: its 48 bytes and its AEADs\' key schedules', () => {
      // The keyring has no dispose(): a TlsContext's keys go with it when it is collected.
      assert.equal('dispose' in TicketKeyring.prototype, false);
      for (const [name, setUp] of ways) {
        const crypto = new RecordingCrypto();
        const way = setUp(crypto);
        assert.ok(way.aeads.length > 0, `${name}: no AEAD recorded`);
        assert.ok(way.aeads.every((a) => zero(a.keyRef)), `${name}: the derived key handed to each AEAD is wiped at once`);
        assert.ok(way.material === undefined || !zero(way.material), `${name}: key bytes held before`);
        assert.ok(way.aeads.every((a) => !a.disposed), `${name}: AEADs live before`);
        way.leave();
        way.gone();
        if (way.material) assert.ok(zero(way.material), `${name}: the held 48 bytes are zeros`);
        assert.deepEqual(way.aeads.map((a) => a.disposeCalls), way.aeads.map(() => 1), `${name}: each AEAD's key schedule wiped once`);
      }
    });

    it('the session DER sealed into a ticket, and the one opened from it, are wiped after use', () => {
      const crypto = new RecordingCrypto();
      const { keyring } = ring({ crypto });
      const seen: Uint8Array[] = [];
      const aead = crypto.aeads[0]!;
      assert.ok(aead);
      const original = Session.prototype.toDER;
      Session.prototype.toDER = function (this: Session): Uint8Array {
        const der = original.call(this);
        seen.push(der);
        return der;
      };
      let ticket: Uint8Array;
      try {
        ticket = keyring.seal(sample());
      } finally {
        Session.prototype.toDER = original;
      }
      assert.equal(seen.length, 1);
      assert.ok(zero(seen[0]!), 'the plaintext session (with its master secret) is zeros after sealing');
      const opened = keyring.open(ticket)!;
      assert.ok(aead.lastOpened && aead.lastOpened.length > 48);
      assert.ok(zero(aead.lastOpened), 'the decrypted session DER is zeros once decoded');
      assert.equal(hex(opened.session.masterSecret), hex(sample().masterSecret), 'the opened session keeps its own copy');
    });
  });

  describe('getTicketKeys', () => {
    it('returns a 48-byte copy; neither it nor the caller’s input aliases the keyring', () => {
      const input = fixedKeys(18);
      const { keyring } = ring({ keys: input });
      const ticket = keyring.seal(sample());
      input.fill(0);
      const got = keyring.getTicketKeys();
      assert.equal(got.length, 48);
      assert.deepEqual(got, fixedKeys(18));
      got.fill(0xee);
      assert.deepEqual(keyring.getTicketKeys(), fixedKeys(18));
      const next = fixedKeys(19);
      keyring.setTicketKeys(next);
      next.fill(0);
      assert.deepEqual(keyring.getTicketKeys(), fixedKeys(19));
      assert.equal(opened(keyring, ticket).renew, true);
      assert.ok(keyring.open(keyring.seal(sample())));
    });
  });

  describe('tampering: undefined, never a throw', () => {
    const keys = fixedKeys(20);
    const { keyring } = ring({ keys });
    const ticket = keyring.seal(sample());

    it('every single-bit flip over the whole ticket', () => {
      for (let bit = 0; bit < ticket.length * 8; bit++) {
        const t = Uint8Array.from(ticket);
        t[bit >> 3] ^= 1 << (bit & 7);
        assertRejected(keyring, t, `bit ${bit} flipped`);
      }
      assert.ok(keyring.open(ticket)); // and the original still opens
    });

    it('truncation to every length, and one byte too many', () => {
      for (let n = 0; n < ticket.length; n++) assertRejected(keyring, ticket.slice(0, n), `truncated to ${n}`);
      assertRejected(keyring, Uint8Array.from([...ticket, 0]), 'a byte appended');
      assertRejected(keyring, ticket.slice(1), 'first byte removed');
    });

    it('a wrong key name, an empty ticket, 64 KiB, 100 KiB', () => {
      const t = Uint8Array.from(ticket);
      t.set(fixedKeys(21).subarray(0, 16));
      assertRejected(keyring, t, 'a wrong key name');
      assertRejected(keyring, new Uint8Array(0), 'an empty ticket');
      const big = new Uint8Array(100 * 1024);
      big.set(ticket);
      assertRejected(keyring, big, 'a 100 KiB ticket starting like a valid one');
      const max = new Uint8Array(TICKET_MAX_LENGTH + 1);
      max.set(ticket);
      assertRejected(keyring, max, 'a ticket one byte over the 16-bit limit');
      assertRejected(keyring, 'not bytes' as unknown as Uint8Array, 'a string');
    });

    it('random bytes, with and without our key name', () => {
      for (let i = 0; i < 500; i++) {
        const length = 1 + ((i * 37) % 600);
        const t = defaultCryptoProvider.randomBytes(length);
        assertRejected(keyring, t, `${length} random bytes`);
        if (length > 16) {
          t.set(keys.subarray(0, 16));
          assertRejected(keyring, t, `${length} random bytes after our key name`);
        }
      }
    });

    it('a valid AEAD over garbage made with the right key', () => {
      const der = sample().toDER();
      const garbage: [string, Uint8Array][] = [
        ['nothing', new Uint8Array(0)],
        ['one byte', Uint8Array.of(0x30)],
        ['random bytes', defaultCryptoProvider.randomBytes(200)],
        ['a truncated session', der.subarray(0, der.length - 1)],
        ['a session with a trailing byte', Uint8Array.from([...der, 0])],
        ['an empty SEQUENCE', sequence()],
        ['a session of ASN.1 version 2', sequence(uint(2), uint(0x0303), octetString(Uint8Array.of(0xc0, 0x2b)), octetString(new Uint8Array(0)), octetString(new Uint8Array(48)))],
        ['a 40-byte session id', sequence(uint(1), uint(0x0303), octetString(Uint8Array.of(0xc0, 0x2b)), octetString(new Uint8Array(40)), octetString(new Uint8Array(48)))],
        ['a bad certificate', sequence(uint(1), uint(0x0303), octetString(Uint8Array.of(0xc0, 0x2b)), octetString(new Uint8Array(0)), octetString(new Uint8Array(48)), explicit(3, octetString(Uint8Array.of(1))))],
      ];
      // The control: a real session sealed the same way opens, so the garbage is rejected for its content.
      const nonce = new Uint8Array(12).fill(3);
      assertSameSession(opened(keyring, sealIndependently(keys, nonce, der)).session, sample());
      for (const [what, plaintext] of garbage) assertRejected(keyring, sealIndependently(keys, nonce, plaintext), `a sealed ${what}`);
      // Right secret, wrong AAD (the key name is authenticated).
      const wrongAad = sealIndependently(keys, nonce, der);
      const aeadKey = hkdf(sha256, keys.subarray(16), undefined, utf8(TICKET_KEY_INFO), 32);
      wrongAad.set(gcm(aeadKey, nonce, new Uint8Array(16)).encrypt(der), 28);
      assertRejected(keyring, wrongAad, 'a ticket sealed with the wrong AAD');
    });
  });
});
