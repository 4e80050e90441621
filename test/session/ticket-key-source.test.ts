import assert from 'node:assert/strict';
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, it } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/context.js';
import { defaultCryptoProvider } from '../../src/crypto/noble.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { TlsConfigError } from '../../src/errors.js';
import { createServer } from '../../src/node/server.js';
import { Session } from '../../src/session/session.js';
import {
  MAX_CONTEXT_KEYS_PER_SHARED_KEY,
  TICKET_CONTEXT_KEY_INFO,
  TICKET_KEYS_LENGTH,
  TicketKeyring,
  isTicketKeySource,
  type TicketKeySet,
  type TicketKeySource,
} from '../../src/session/tickets.js';
import { testCertificate } from '../helpers/fixtures.js';
import { TlsClient, type SavedSession } from '../helpers/tls-client.js';
import { handshakeInMemory } from '../helpers/in-memory.js';
import { RecordingCrypto } from '../helpers/recording-crypto.js';
import { makeSession, utf8 } from '../helpers/sessions.js';

/**
 * The hook through which keys shared by a fleet (puretls/redis's RedisTicketKeys) feed the
 * TicketKeyring: a TicketKeySource hands over the current key and the decrypt-only keys,
 * synchronously, and the keyring derives one AEAD key per session id context from each.
 */

const T0 = 1_700_000_000_000;

function key(seed: number): Uint8Array {
  return Uint8Array.from({ length: TICKET_KEYS_LENGTH }, (_, i) => (seed * 37 + i * 11 + 1) & 0xff);
}

/** A source the test changes by hand, as RedisTicketKeys changes its keys in the background. */
class HandSource implements TicketKeySource {
  private set: TicketKeySet;
  calls = 0;
  constructor(
    current: Uint8Array,
    decryptOnly: Uint8Array[] = [],
    readonly ticketLifetimeSeconds = 3600,
  ) {
    this.set = { current, decryptOnly };
  }
  ticketKeys(): TicketKeySet {
    this.calls++;
    return this.set;
  }
  use(current: Uint8Array, decryptOnly: Uint8Array[] = []): void {
    this.set = { current, decryptOnly };
  }
}

function keyring(source: TicketKeySource, lifetimeSeconds = 300, crypto: CryptoProvider = defaultCryptoProvider): TicketKeyring {
  return new TicketKeyring({ crypto, now: () => T0, lifetimeSeconds, source });
}

/** Opens a source-sealed ticket with noble alone, as the layout documents it. */
function openIndependently(material: Uint8Array, sidCtx: Uint8Array, ticket: Uint8Array): Uint8Array {
  const info = Uint8Array.of(...utf8(TICKET_CONTEXT_KEY_INFO), sidCtx.length, ...sidCtx);
  const aeadKey = hkdf(sha256, material.subarray(16), new Uint8Array(0), info, 32);
  return gcm(aeadKey, ticket.subarray(16, 28), ticket.subarray(0, 16)).decrypt(ticket.subarray(28));
}

describe('TicketKeySource: ticket keys shared by a fleet', () => {
  it('is told apart from node:tls-style 48 bytes', () => {
    assert.equal(isTicketKeySource(new HandSource(key(1))), true);
    assert.equal(isTicketKeySource(key(1)), false);
    assert.equal(isTicketKeySource(Buffer.from(key(1))), false);
    assert.equal(isTicketKeySource({ ticketKeys: () => undefined }), false, 'no lifetime');
    assert.equal(isTicketKeySource(undefined), false);
  });

  it('seals under a key derived from the shared key and the sid_ctx (HKDF), opened independently with noble', () => {
    const material = key(1);
    const ring = keyring(new HandSource(material));
    const session = makeSession();
    const ticket = ring.seal(session);
    assert.deepEqual(ticket.subarray(0, 16), material.subarray(0, 16), 'the key name leads the ticket');
    assert.deepEqual(openIndependently(material, utf8('app'), ticket), session.toDER());
    assert.throws(() => openIndependently(material, utf8('other'), ticket), 'another context has another key');
    // The shared secret itself (as node:tls-style keys use it) is not the AEAD key either.
    const plain = new TicketKeyring({ crypto: defaultCryptoProvider, now: () => T0, lifetimeSeconds: 300, keys: material });
    assert.equal(plain.open(ticket, utf8('app')), undefined);
  });

  it('a ticket opens only under the sid_ctx it was sealed for', () => {
    const source = new HandSource(key(1));
    const a = keyring(source);
    const b = keyring(source); // another process with the same shared keys
    const ticket = a.seal(makeSession({ sidCtx: utf8('app') }));
    const opened = b.open(ticket, utf8('app'));
    assert.ok(opened);
    assert.deepEqual(opened.session.masterSecret, makeSession().masterSecret);
    assert.equal(opened.renew, false);
    assert.equal(b.open(ticket, utf8('other')), undefined);
    assert.equal(b.open(ticket, utf8('ap')), undefined);
    assert.equal(b.open(ticket), undefined, 'the empty sid_ctx is a context too');
    const empty = a.seal(makeSession({ sidCtx: new Uint8Array(0) }));
    assert.ok(b.open(empty));
  });

  it('decrypt-only keys open tickets but never seal; the keyring follows the source when it changes', () => {
    const [k1, k2, k3] = [key(1), key(2), key(3)];
    const source = new HandSource(k1, [k2]);
    const ring = keyring(source);
    const byK1 = ring.seal(makeSession());
    assert.deepEqual(byK1.subarray(0, 16), k1.subarray(0, 16));
    // Another process already seals under k2 (published ahead): this one opens its tickets.
    const other = keyring(new HandSource(k2, [k1]));
    const byK2 = other.seal(makeSession());
    assert.equal(ring.open(byK2, utf8('app'))?.renew, true, 'a decrypt-only key opens; the client gets a fresh ticket');

    source.use(k2, [k1]);
    const next = ring.seal(makeSession());
    assert.deepEqual(next.subarray(0, 16), k2.subarray(0, 16), 'the new current key seals');
    assert.equal(ring.open(byK1, utf8('app'))?.renew, true, 'the retired key still opens');
    assert.equal(ring.open(next, utf8('app'))?.renew, false);
    assert.deepEqual(ring.getTicketKeys(), k2);

    source.use(k3, [k2]);
    assert.equal(ring.open(byK1, utf8('app')), undefined, 'a key the source dropped opens nothing');
    assert.ok(ring.open(byK2, utf8('app')));
  });

  it('a key name that comes back with other secret bytes is another key', () => {
    const k1 = key(1);
    const source = new HandSource(k1);
    const ring = keyring(source);
    const ticket = ring.seal(makeSession());
    const impostor = Uint8Array.of(...k1.subarray(0, 16), ...key(9).subarray(16));
    source.use(impostor);
    assert.equal(ring.open(ticket, utf8('app')), undefined);
  });

  it('tickets live at most the source lifetime: the sealed session and the lifetime hint are capped', () => {
    const material = key(4);
    const ring = keyring(new HandSource(material, [], 120), 300);
    assert.equal(ring.lifetimeSeconds, 120);
    const inside = Session.fromDER(openIndependently(material, utf8('app'), ring.seal(makeSession({ timeout: 300 }))));
    assert.equal(inside.timeout, 120);
    const shorter = keyring(new HandSource(material, [], 3600), 300);
    assert.equal(shorter.lifetimeSeconds, 300, 'a shorter session timeout stays');
    assert.equal(Session.fromDER(openIndependently(material, utf8('app'), shorter.seal(makeSession({ timeout: 300 })))).timeout, 300);
  });

  it('setTicketKeys is refused (the source rotates); keys and a source together are refused', () => {
    const ring = keyring(new HandSource(key(1)));
    assert.throws(() => ring.setTicketKeys(key(2)), (e: unknown) => e instanceof TlsConfigError && e.code === 'ERR_TICKET_KEYS_SHARED');
    assert.throws(
      () => new TicketKeyring({ crypto: defaultCryptoProvider, now: () => T0, lifetimeSeconds: 300, keys: key(1), source: new HandSource(key(2)) }),
      TlsConfigError,
    );
    assert.throws(() => keyring(new HandSource(key(1), [], 0)), TlsConfigError, 'a source lifetime of 0');
  });

  it('a source that hands over a malformed key: open never throws, seal throws (the handshake then sends an empty ticket)', () => {
    const source = new HandSource(key(1));
    const ring = keyring(source);
    const ticket = ring.seal(makeSession());
    source.use(new Uint8Array(47));
    assert.equal(ring.open(ticket, utf8('app')), undefined);
    assert.throws(() => ring.seal(makeSession()), TlsConfigError);
  });

  it('asks the source on every seal and open, and derives a key again only when the key changes', () => {
    const crypto = new RecordingCrypto();
    const source = new HandSource(key(1));
    const ring = keyring(source, 300, crypto);
    const local = crypto.aeads.length; // the keyring's unused local key
    const t = ring.seal(makeSession());
    assert.equal(crypto.aeads.length, local + 1);
    for (let i = 0; i < 5; i++) assert.ok(ring.open(t, utf8('app')));
    assert.equal(source.calls, 6);
    assert.equal(crypto.aeads.length, local + 1, 'the AEAD derived for the seal opens too');
    // A new set object holding the same key: the key and its AEAD are kept.
    source.use(key(1));
    assert.ok(ring.open(t, utf8('app')));
    assert.equal(crypto.aeads.length, local + 1);
    assert.equal(crypto.aeads[local]!.opens, 6);
    // Another key: a new AEAD, and the old key's is disposed.
    source.use(key(2));
    ring.seal(makeSession());
    assert.equal(crypto.aeads.length, local + 2);
    assert.equal(crypto.aeads[local]!.disposed, true);
  });

  it(`keeps at most ${MAX_CONTEXT_KEYS_PER_SHARED_KEY} derived keys per shared key, and still opens every context`, () => {
    const crypto = new RecordingCrypto();
    const ring = keyring(new HandSource(key(1)), 300, crypto);
    const local = crypto.aeads.length;
    const live = (): number => crypto.aeads.slice(local).filter((a) => !a.disposed).length;
    const tickets: Array<[Uint8Array, Uint8Array]> = [];
    for (let i = 0; i < MAX_CONTEXT_KEYS_PER_SHARED_KEY + 10; i++) {
      const sidCtx = utf8(`ctx-${i}`);
      tickets.push([sidCtx, ring.seal(makeSession({ sidCtx }))]);
      assert.ok(live() <= MAX_CONTEXT_KEYS_PER_SHARED_KEY, `${live()} derived keys held after ${i + 1} contexts`);
    }
    assert.equal(crypto.aeads.length - local, MAX_CONTEXT_KEYS_PER_SHARED_KEY + 10);
    for (const [sidCtx, ticket] of tickets) assert.deepEqual(ring.open(ticket, sidCtx)?.session.sidCtx, sidCtx);
    assert.ok(live() <= MAX_CONTEXT_KEYS_PER_SHARED_KEY);
    assert.ok(crypto.aeads.every((a) => a.usedAfterDispose === 0));
  });

  describe('through whole handshakes (TlsContext and createServer take a source as ticketKeys)', () => {
    function context(source: TicketKeySource, sidCtx: string, extra: TlsContextOptions = {}): TlsContext {
      const cert = testCertificate();
      return new TlsContext({ key: cert.keyPem, cert: cert.certPem, sessionIdContext: sidCtx, ticketKeys: source, sessionCache: false, ...extra });
    }

    function handshake(ctx: TlsContext, resume?: SavedSession): { client: TlsClient; server: ServerConnection } {
      const client = new TlsClient({ sessionTicket: new Uint8Array(0), ...(resume ? { resume } : {}) });
      const server = new ServerConnection(ctx);
      handshakeInMemory(client, server);
      assert.equal(server.error, undefined, server.error?.message);
      assert.ok(client.handshakeComplete && server.handshakeComplete);
      return { client, server };
    }

    it('two contexts (two processes) with the same source and sid_ctx resume each other’s tickets; another sid_ctx does not open them', () => {
      const source = new HandSource(key(7));
      const a = context(source, 'app');
      const b = context(source, 'app');
      const other = context(source, 'other');
      const first = handshake(a);
      const saved = first.client.session!;
      assert.ok(saved.ticket && saved.ticket.length > 0);
      // The source's ticketLifetimeSeconds (3,600), being under the context's sessionTimeout (7,200).
      assert.equal(a.sessionTimeout, 7200);
      assert.equal(first.client.newSessionTicket!.lifetimeHint, 3600);

      const onB = handshake(b, saved);
      assert.equal(onB.server.negotiated!.resumedBy, 'ticket');
      assert.equal(b.stats.hits, 1);

      const onOther = handshake(other, saved);
      assert.equal(onOther.server.negotiated!.resumed, false);
      assert.equal(other.stats.misses, 1, 'the ticket does not even open there');
      assert.equal(other.stats.contextMismatches, 0);
      assert.equal(other.stats.hits, 0);
    });

    it('createServer accepts a source as ticketKeys; setTicketKeys is refused and getTicketKeys shows the shared key', () => {
      const cert = testCertificate();
      const material = key(8);
      const server = createServer({ key: cert.keyPem, cert: cert.certPem, ticketKeys: new HandSource(material) });
      assert.deepEqual(new Uint8Array(server.getTicketKeys()), material);
      assert.throws(() => server.setTicketKeys(key(9)), (e: unknown) => e instanceof TlsConfigError && e.code === 'ERR_TICKET_KEYS_SHARED');
      assert.throws(() => createServer({ key: cert.keyPem, cert: cert.certPem, ticketKeys: { nope: true } as never }), TlsConfigError);
    });
  });
});
