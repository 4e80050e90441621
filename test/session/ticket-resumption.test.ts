import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ServerConnection, type ConnectionOptions } from '../../src/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/context.js';
import { MemorySessionCache } from '../../src/session/memory-cache.js';
import { testCertificate } from '../helpers/fixtures.js';
import { Ext, HandshakeType, ContentType, Suite, TlsClient, type ClientOptions, type SavedSession } from '../helpers/tls-client.js';
import { TAMPERED_TICKETS, filler } from '../helpers/ticket-variants.js';
import { handshakeInMemory } from '../helpers/in-memory.js';

/**
 * Ticket resumption through the whole server handshake, in memory, on a clock the tests
 * move by hand: the sans-IO ServerConnection against the scriptable test client.
 */

const T0 = 1_700_000_000_000;
const LIFETIME = 600; // seconds
const S = 1000;

interface Clock {
  t: number;
}

function makeContext(clock: Clock, options: TlsContextOptions = {}): TlsContext {
  const cert = testCertificate();
  return new TlsContext({ key: cert.keyPem, cert: cert.certPem, sessionTimeout: LIFETIME, now: () => clock.t, ...options });
}

interface Handshake {
  client: TlsClient;
  server: ServerConnection;
}

/** One whole handshake in memory. By default the client asks for a ticket (empty extension). */
function connect(context: TlsContext, client: ClientOptions = {}, connection: ConnectionOptions = {}): Handshake {
  const c = new TlsClient({ sessionTicket: new Uint8Array(0), ...client });
  const s = new ServerConnection(context, connection);
  handshakeInMemory(c, s);
  assert.deepEqual(c.alerts, [], 'the server sent no alert');
  assert.equal(s.error, undefined, `the server failed: ${s.error?.message}`);
  assert.ok(c.handshakeComplete, 'the client completed the handshake');
  assert.ok(s.handshakeComplete, 'the server completed the handshake');
  return { client: c, server: s };
}

/** Resumes `saved` offering `ticket` in place of its own (the session ID stays). */
function offer(context: TlsContext, saved: SavedSession, ticket: Uint8Array | undefined, connection: ConnectionOptions = {}): Handshake {
  const resume: SavedSession = { ...saved };
  if (ticket === undefined) delete resume.ticket;
  else resume.ticket = ticket;
  return connect(context, { resume }, connection);
}

function assertFull(h: Handshake, what: string): void {
  assert.equal(h.client.resumed, false, `${what}: the client saw a full handshake`);
  assert.equal(h.server.negotiated!.resumed, false, `${what}: the server did a full handshake`);
  assert.equal(h.server.negotiated!.resumedBy, undefined, what);
  assert.ok(h.client.serverCertificates.length > 0, `${what}: a certificate was sent`);
}

function assertResumed(h: Handshake, by: 'ticket' | 'session-id', what = ''): void {
  assert.equal(h.client.resumed, true, `${what}: the client saw an abbreviated handshake`);
  assert.equal(h.server.negotiated!.resumed, true, what);
  assert.equal(h.server.negotiated!.resumedBy, by, what);
  assert.equal(h.client.serverCertificates.length, 0, `${what}: no certificate on resumption`);
}

/** The ticket a handshake issued (it must have issued one). */
function issued(h: Handshake): Uint8Array {
  const t = h.client.newSessionTicket;
  assert.ok(t, 'a NewSessionTicket was sent');
  assert.ok(t.ticket.length > 0, 'the NewSessionTicket is not empty');
  assert.equal(h.server.negotiated!.ticketIssued, true);
  return t.ticket;
}

const keyName = (b: Uint8Array): string => Buffer.from(b.subarray(0, 16)).toString('hex');
const hasExtension = (h: Handshake, type: number): boolean => (h.client.serverHello!.extensionList ?? []).some((e) => e.type === type);

function fixedKeys(seed: number): Uint8Array {
  return Uint8Array.from({ length: 48 }, (_, i) => (seed * 53 + i * 17 + 1) & 0xff);
}

describe('ticket resumption (sans-IO, injected clock)', () => {
  describe('the abbreviated handshake', () => {
    it('resumes from a ticket under the current key: echoes the offered session ID, and the client keeps its ticket (no NewSessionTicket, as OpenSSL)', () => {
      const clock = { t: T0 };
      const ctx = makeContext(clock);
      const first = connect(ctx);
      assertFull(first, 'first');
      issued(first);
      assert.equal(first.client.newSessionTicket!.lifetimeHint, LIFETIME);

      clock.t += 10 * S;
      const again = connect(ctx, { resume: first.client.session! });
      assertResumed(again, 'ticket');
      assert.deepEqual(again.client.serverHello!.sessionId, again.client.offeredSessionId);
      assert.equal(hasExtension(again, Ext.session_ticket), false, 'ServerHello promises no ticket');
      assert.equal(again.client.newSessionTicket, undefined);
      assert.equal(again.server.negotiated!.ticketIssued, false);
      // Record order: ServerHello in clear, then CCS, then Finished encrypted.
      assert.deepEqual(
        again.client.records.map((r) => [r.type, r.encrypted] as const),
        [
          [ContentType.handshake, false],
          [ContentType.change_cipher_spec, false],
          [ContentType.handshake, true],
        ],
      );
      assert.deepEqual(again.client.messages.map((m) => m.type), [HandshakeType.server_hello, HandshakeType.finished]);
      assert.equal(ctx.stats.hits, 1);
      // The master secret is the original one: the resumed keys worked both ways (the Finished messages verified).
      assert.deepEqual(again.client.masterSecret, first.client.masterSecret);
    });

    it('resumes from a ticket under a key that is no longer current: NewSessionTicket before ChangeCipherSpec, a fresh ticket under the current key', () => {
      const clock = { t: T0 };
      const ctx = makeContext(clock);
      const first = connect(ctx);
      const ticket = issued(first);
      ctx.setTicketKeys(new Uint8Array(48).fill(3)); // the old key only opens now
      clock.t += 10 * S;
      const again = connect(ctx, { resume: first.client.session! });
      assertResumed(again, 'ticket');
      assert.ok(hasExtension(again, Ext.session_ticket), 'ServerHello announces the ticket');
      const fresh = issued(again);
      assert.notDeepEqual(fresh, ticket);
      assert.equal(keyName(fresh), keyName(new Uint8Array(48).fill(3)), 'sealed under the current key');
      assert.equal(again.client.newSessionTicket!.lifetimeHint, LIFETIME);
      assert.deepEqual(
        again.client.records.map((r) => [r.type, r.encrypted] as const),
        [
          [ContentType.handshake, false],
          [ContentType.change_cipher_spec, false],
          [ContentType.handshake, true],
        ],
      );
      assert.deepEqual(
        again.client.messages.map((m) => m.type),
        [HandshakeType.server_hello, HandshakeType.new_session_ticket, HandshakeType.finished],
      );
      // And the fresh ticket resumes with no renewal.
      const third = connect(ctx, { resume: again.client.session! });
      assertResumed(third, 'ticket');
      assert.equal(third.client.newSessionTicket, undefined);
    });

    it('issues no ticket to a client that does not offer the extension', () => {
      const ctx = makeContext({ t: T0 });
      const h = connect(ctx, { sessionTicket: undefined });
      assertFull(h, 'no extension');
      assert.equal(h.client.newSessionTicket, undefined);
      assert.equal(h.server.negotiated!.ticketIssued, false);
      assert.equal(hasExtension(h, Ext.session_ticket), false);
    });
  });

  describe('key rotation', () => {
    it('a ticket sealed under the previous (generated) key resumes and is replaced by one under the current key', () => {
      const clock = { t: T0 };
      const ctx = makeContext(clock);
      const k0 = keyName(ctx.getTicketKeys());

      clock.t = T0 + (LIFETIME * S * 9) / 10;
      const first = connect(ctx);
      const ticket = issued(first);
      assert.equal(keyName(ticket), k0);

      // One rotation period after the key was made, the next use rotates it.
      clock.t = T0 + (LIFETIME * S * 12) / 10;
      const k1 = keyName(ctx.getTicketKeys());
      assert.notEqual(k1, k0, 'the key rotated');

      const again = connect(ctx, { resume: first.client.session! });
      assertResumed(again, 'ticket', 'ticket under the previous key');
      const renewed = issued(again);
      assert.equal(keyName(renewed), keyName(ctx.getTicketKeys()), 'the new ticket names the current key');
      assert.equal(keyName(renewed), k1);

      // The renewed ticket resumes too.
      clock.t += 5 * S;
      assertResumed(connect(ctx, { resume: again.client.session! }), 'ticket', 'renewed ticket');
    });

    it('a ticket under a current key that is due for rotation resumes and comes back under a newly made key', () => {
      const clock = { t: T0 };
      const ctx = makeContext(clock);
      clock.t = T0 + (LIFETIME * S) / 2;
      const first = connect(ctx);
      const ticket = issued(first);

      // Nothing has rotated the key yet: the ticket's key is still current, but due.
      clock.t = T0 + LIFETIME * S + 1;
      const again = connect(ctx, { resume: first.client.session! });
      assertResumed(again, 'ticket');
      const renewed = issued(again);
      const current = keyName(ctx.getTicketKeys());
      assert.notEqual(current, keyName(ticket), 'a new key was made');
      assert.equal(keyName(renewed), current);
    });

    it('a ticket older than the session lifetime does not resume (full handshake, fresh ticket, counted as a timeout)', () => {
      const clock = { t: T0 };
      const ctx = makeContext(clock);
      const first = connect(ctx);
      const saved = first.client.session!;

      // now > created + timeout is expired; equal is not.
      clock.t = T0 + LIFETIME * S + 999;
      assertResumed(connect(ctx, { resume: saved }), 'ticket', 'at exactly created + timeout');

      clock.t = T0 + (LIFETIME + 1) * S;
      const late = connect(ctx, { resume: saved });
      assertFull(late, 'one second past the lifetime');
      assert.notDeepEqual(issued(late), saved.ticket);
      assert.equal(ctx.stats.timeouts, 1);
      assert.equal(ctx.stats.hits, 1);
    });

    it('a ticket whose key was retired more than a lifetime ago does not resume', () => {
      const clock = { t: T0 };
      // A fleet member with a longer session timeout shares the key, so only key retirement can refuse the ticket.
      const ctx = makeContext(clock, { ticketKeys: fixedKeys(1) });
      const longLived = makeContext(clock, { ticketKeys: fixedKeys(1), sessionTimeout: 100 * LIFETIME });
      const saved = connect(longLived).client.session!;

      clock.t = T0 + 10 * S;
      ctx.setTicketKeys(fixedKeys(2));
      clock.t = T0 + 10 * S + LIFETIME * S;
      const stillOpen = connect(ctx, { resume: saved });
      assertResumed(stillOpen, 'ticket', 'a lifetime after setTicketKeys, the old key still opens');
      assert.equal(keyName(issued(stillOpen)), keyName(fixedKeys(2)));

      clock.t += 1;
      const misses = ctx.stats.misses;
      const gone = connect(ctx, { resume: saved });
      assertFull(gone, 'just over a lifetime after setTicketKeys');
      assert.equal(ctx.stats.misses, misses + 1);
      assert.equal(ctx.stats.timeouts, 0, 'the session itself had not expired: the key was gone');
      // The long-lived server still has the key and resumes.
      assertResumed(connect(longLived, { resume: saved }), 'ticket', 'the other server still has the key');
    });

    it('setTicketKeys: tickets under the former keys resume (with a ticket under the new keys); tickets under the new keys resume', () => {
      const clock = { t: T0 };
      const ctx = makeContext(clock, { ticketKeys: fixedKeys(1) });
      const old = connect(ctx).client.session!;
      assert.equal(keyName(old.ticket!), keyName(fixedKeys(1)));

      clock.t += 30 * S;
      ctx.setTicketKeys(fixedKeys(2));
      assert.equal(keyName(ctx.getTicketKeys()), keyName(fixedKeys(2)));
      const resumed = connect(ctx, { resume: old });
      assertResumed(resumed, 'ticket', 'old key');
      const renewed = issued(resumed);
      assert.equal(keyName(renewed), keyName(fixedKeys(2)));
      assertResumed(connect(ctx, { resume: resumed.client.session! }), 'ticket', 'new key');
      // Application keys do not rotate by themselves, however long it has been.
      clock.t += 10 * LIFETIME * S;
      assert.equal(keyName(ctx.getTicketKeys()), keyName(fixedKeys(2)));
    });
  });

  describe('session id context', () => {
    it('the same ticket keys under another sid_ctx: full handshake, a fresh ticket that resumes there, counted as a mismatch', () => {
      const clock = { t: T0 };
      const a = makeContext(clock, { ticketKeys: fixedKeys(7), sessionIdContext: 'vhost-a' });
      const b = makeContext(clock, { ticketKeys: fixedKeys(7), sessionIdContext: 'vhost-b' });
      const saved = connect(a).client.session!;

      const crossed = connect(b, { resume: saved });
      assertFull(crossed, 'other sid_ctx');
      const fresh = issued(crossed);
      assert.notDeepEqual(fresh, saved.ticket);
      assert.equal(b.stats.contextMismatches, 1);
      assert.equal(b.stats.hits, 0);
      assert.deepEqual(crossed.server.session!.sidCtx, new TextEncoder().encode('vhost-b'));

      assertResumed(connect(b, { resume: crossed.client.session! }), 'ticket', 'the fresh ticket on b');
      assertResumed(connect(a, { resume: saved }), 'ticket', 'the original ticket on a');
      assert.equal(a.stats.contextMismatches, 0);
    });

    it('a per-connection sid_ctx decides, not the context one', () => {
      const clock = { t: T0 };
      const ctx = makeContext(clock, { sessionIdContext: 'ctx' });
      const saved = connect(ctx).client.session!;
      const h = offer(ctx, saved, saved.ticket, { sessionIdContext: 'per-connection' });
      assertFull(h, 'per-connection sid_ctx');
      assert.equal(ctx.stats.contextMismatches, 1);
      assertResumed(offer(ctx, saved, saved.ticket, { sessionIdContext: 'ctx' }), 'ticket');
    });
  });

  describe('virtual hosts', () => {
    it('a ticket issued by an SNI virtual host resumes there (the switch comes before the decision)', () => {
      const clock = { t: T0 };
      const vhost = makeContext(clock, { sessionIdContext: 'vhost' });
      const main = makeContext(clock, { sessionIdContext: 'main', serverNames: { 'vhost.test': vhost } });
      const first = connect(main, { serverName: 'vhost.test' });
      assert.equal(first.server.context, vhost);
      assert.deepEqual(first.server.session!.sidCtx, new TextEncoder().encode('vhost'));
      const again = connect(main, { serverName: 'vhost.test', resume: first.client.session! });
      assertResumed(again, 'ticket', 'same virtual host');
      assert.equal(vhost.stats.hits, 1);
      assert.equal(main.stats.hits, 0);
    });
  });

  describe('tampered tickets', () => {
    for (const variant of TAMPERED_TICKETS) {
      it(`${variant.name}: full handshake, no alert, the valid session ID not looked up, a fresh ticket`, () => {
        const clock = { t: T0 };
        const ctx = makeContext(clock);
        const first = connect(ctx);
        const saved = first.client.session!;
        assert.equal(saved.sessionId.length, 32, 'the cache gave the session an ID');
        const tampered = variant.make(saved.ticket!);
        assert.notDeepEqual(tampered, saved.ticket);

        const before = { ...ctx.stats.toJSON() };
        const h = offer(ctx, saved, tampered);
        assertFull(h, variant.name);
        assert.notDeepEqual(h.client.serverHello!.sessionId, saved.sessionId);
        const fresh = issued(h);
        assert.equal(ctx.stats.misses, before.misses! + 1);
        assert.equal(ctx.stats.hits, before.hits);
        assert.equal(ctx.stats.contextMismatches, 0);

        // The server is none the worse: the genuine ticket and the fresh one both resume.
        assertResumed(connect(ctx, { resume: saved }), 'ticket', 'genuine ticket afterwards');
        assertResumed(connect(ctx, { resume: h.client.session! }), 'ticket', 'fresh ticket afterwards');
        assert.ok(fresh.length > 0);
      });
    }

    it('a ticket with our key name but sealed under another secret: full handshake', () => {
      const clock = { t: T0 };
      const keys = fixedKeys(3);
      const impostorKeys = Uint8Array.of(...keys.subarray(0, 16), ...filler(32, 9));
      const ctx = makeContext(clock, { ticketKeys: keys });
      const impostor = makeContext(clock, { ticketKeys: impostorKeys });
      const forged = connect(impostor).client.session!;
      assert.equal(keyName(forged.ticket!), keyName(keys));
      assertResumed(connect(impostor, { resume: forged }), 'ticket', 'on the server that made it');
      const h = connect(ctx, { resume: forged });
      assertFull(h, 'same key name, other secret');
      assert.equal(ctx.stats.misses, 1);
    });

    it('an empty ticket with a cached session ID: resumed by session ID, and a fresh ticket is sent (RFC 5077 §3.4)', () => {
      const clock = { t: T0 };
      const ctx = makeContext(clock);
      const saved = connect(ctx).client.session!;
      const h = offer(ctx, saved, new Uint8Array(0));
      assertResumed(h, 'session-id');
      assert.deepEqual(h.client.serverHello!.sessionId, saved.sessionId);
      assert.ok(hasExtension(h, Ext.session_ticket));
      const fresh = issued(h);
      assertResumed(connect(ctx, { resume: { ...saved, ticket: fresh } }), 'ticket', 'the fresh ticket');
    });

    it('an empty ticket and no session ID: full handshake with a ticket', () => {
      const ctx = makeContext({ t: T0 });
      const h = connect(ctx, { sessionTicket: new Uint8Array(0) });
      assertFull(h, 'empty ticket, no ID');
      issued(h);
      assert.equal(ctx.stats.misses, 0, 'nothing was offered, so nothing missed');
    });
  });

  describe('tickets and the session-ID cache', () => {
    it('with tickets off, an offered ticket is ignored and the session ID is looked up (shared cache)', () => {
      const clock = { t: T0 };
      const cache = new MemorySessionCache({ now: () => clock.t });
      const withTickets = makeContext(clock, { sessionCache: cache, sessionIdContext: 'shared' });
      const without = makeContext(clock, { sessionCache: cache, sessionIdContext: 'shared', tickets: false });
      const saved = connect(withTickets).client.session!;
      assert.ok(saved.ticket);

      const h = offer(without, saved, saved.ticket);
      assertResumed(h, 'session-id', 'tickets off');
      assert.equal(hasExtension(h, Ext.session_ticket), false, 'no ticket extension in ServerHello');
      assert.equal(h.client.newSessionTicket, undefined);
      // The same garbage ticket makes the ticket-enabled server skip the ID; the other one never reads it.
      assertResumed(offer(without, saved, filler(200, 4)), 'session-id', 'tickets off, garbage ticket');
      assertFull(offer(withTickets, saved, filler(200, 4)), 'tickets on, garbage ticket');
    });

    for (const c of [
      { tickets: true, cache: true, idLength: 32, ticket: true },
      { tickets: true, cache: false, idLength: 0, ticket: true },
      { tickets: false, cache: true, idLength: 32, ticket: false },
      { tickets: false, cache: false, idLength: 0, ticket: false },
    ]) {
      it(`tickets ${c.tickets ? 'on' : 'off'}, cache ${c.cache ? 'on' : 'off'}: ServerHello session ID of ${c.idLength} bytes, ${c.ticket ? 'a' : 'no'} ticket`, () => {
        const clock = { t: T0 };
        const ctx = makeContext(clock, { ...(c.tickets ? {} : { tickets: false }), ...(c.cache ? {} : { sessionCache: false }) });
        const first = connect(ctx);
        assert.equal(first.client.serverHello!.sessionId.length, c.idLength);
        assert.equal(hasExtension(first, Ext.session_ticket), c.ticket);
        assert.equal(first.client.newSessionTicket !== undefined, c.ticket);
        assert.equal(first.server.negotiated!.ticketIssued, c.ticket);

        const saved = first.client.session!;
        if (!c.ticket && c.idLength === 0) {
          assert.equal(saved.ticket, undefined);
          // Nothing to resume with: an ID of our own making is not found either.
          assertFull(connect(ctx, { resume: { ...saved, sessionId: filler(32, 5) } }), 'both off');
          return;
        }
        const again = connect(ctx, { resume: saved });
        assertResumed(again, c.ticket ? 'ticket' : 'session-id');
        if (c.ticket && c.cache) {
          // Without the ticket, the session ID alone resumes too.
          assertResumed(offer(ctx, saved, new Uint8Array(0)), 'session-id', 'ID alone');
        }
      });
    }
  });

  describe('the ticket goes through the same resumption decision', () => {
    it('a handshake without extended master secret gets neither a ticket nor a session ID (it could never resume)', () => {
      const ctx = makeContext({ t: T0 });
      const first = connect(ctx, { extendedMasterSecret: false });
      assert.equal(first.client.newSessionTicket, undefined, 'no NewSessionTicket');
      assert.equal(hasExtension(first, Ext.session_ticket), false, 'no session_ticket in the ServerHello');
      assert.equal(first.client.serverHello!.sessionId.length, 0, 'no session ID');
      assert.equal(first.server.negotiated!.ticketIssued, false);
    });

    it('a ticket sealed over a session without extended master secret is never resumed', () => {
      const ctx = makeContext({ t: T0 });
      const saved = connect(ctx).client.session!;
      // Such a ticket can only come from elsewhere (another implementation, an older puretls):
      // seal one with the server's own keys.
      const session = ctx.ticketKeyring!.open(saved.ticket!)!.session.with({ extendedMasterSecret: false });
      const ticket = ctx.ticketKeyring!.seal(session);
      assertFull(offer(ctx, saved, ticket), 'a non-EMS session in a ticket');
      assertFull(connect(ctx, { resume: { ...saved, ticket }, extendedMasterSecret: false }), 'no EMS on either side');
    });

    it('a ticket whose cipher suite is not offered again gives a full handshake', () => {
      const ctx = makeContext({ t: T0 });
      const saved = connect(ctx, { cipherSuites: [Suite.AES256_GCM] }).client.session!;
      const h = connect(ctx, { resume: saved, cipherSuites: [Suite.AES128_GCM] });
      assertFull(h, 'suite not offered');
      assert.equal(h.client.serverHello!.cipherSuite, Suite.AES128_GCM);
    });
  });
});
