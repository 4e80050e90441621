/**
 * Sessions (OpenSSL's SSL_SESSION DER and PEM, src/session/session-der.ts) and ticket opening
 * (src/session/tickets.ts): decoding is total (a Session or a TlsDecodeError), tickets open to
 * a session or to undefined and never throw, and both round-trip.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { bitString, sequence } from '../../src/codec/der.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { Session, type SessionFields } from '../../src/session/session.js';
import { TICKET_NONCE_LENGTH, TicketKeyring } from '../../src/session/tickets.js';
import { ticketSealer } from '../helpers/ticket-sealing.js';
import { APPLICATION_ERRORS, bytes, expectTotal, hostile, latin1String, rec, runs, u16 } from './arbitraries.js';

const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });

/** Anything with a Certificate's outer shape (SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }): all a session checks of its peer. */
const certificateShaped = fc
  .tuple(bytes(0, 300), bytes(0, 20), bytes(0, 80))
  .map(([tbs, alg, sig]) => sequence(sequence(tbs), sequence(alg), bitString(sig)));

const sessionFields: fc.Arbitrary<SessionFields> = rec({
  version: u16,
  cipherSuite: u16,
  sessionId: bytes(0, 32),
  masterSecret: bytes(0, 48),
  sidCtx: bytes(0, 32),
  createdAt: fc.integer({ min: 0, max: 2 ** 48 }),
  timeout: fc.integer({ min: 0, max: 2 ** 32 }),
  extendedMasterSecret: fc.boolean(),
  // OpenSSL keeps the host name as a C string: no NUL.
  serverName: opt(latin1String(0, 80, 1, 0xff)),
  alpn: opt(latin1String(0, 40)),
  peerCertificate: opt(certificateShaped),
  // Zero is OpenSSL's default and is not written, so it reads back as undefined.
  verifyResult: opt(fc.integer({ min: 1, max: 0x7fffffff })),
  kexGroup: opt(fc.integer({ min: 1, max: 0xffff })),
});

const sessions = sessionFields.map((f) => new Session(f));

const crypto = new NobleCryptoProvider();
const KEYS = Uint8Array.from({ length: 48 }, (_, i) => i * 7);
const NOW = Date.UTC(2027, 0, 1);
const keyring = new TicketKeyring({ crypto, now: () => NOW, lifetimeSeconds: 7200, keys: KEYS });
/** Tickets of ours (right key name, valid tag) around any plaintext: what only a leaked key could make. */
const sealer = ticketSealer(crypto, KEYS);
const name = sealer.name;

describe('sessions and tickets (property tests, fast-check)', () => {
  it('Session: fromDER(toDER(s)) and fromPEM(toPEM(s)) give s back', () => {
    fc.assert(
      fc.property(sessions, (s) => {
        assert.deepStrictEqual(Session.fromDER(s.toDER()), s);
        assert.deepStrictEqual(Session.fromPEM(s.toPEM()), s);
      }),
      runs(500),
    );
  });

  it('Session.fromDER: any bytes and mutated sessions give a Session or a TlsDecodeError', () => {
    fc.assert(
      fc.property(hostile(sessions, (s) => s.toDER(), 600), (der) => expectTotal(() => Session.fromDER(der), APPLICATION_ERRORS)),
      runs(2000),
    );
  });

  it('Session.fromPEM: any text and mutated PEM give a Session or a TlsDecodeError', () => {
    const pemBytes = (s: Session): Uint8Array => new TextEncoder().encode(s.toPEM());
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), hostile(sessions, pemBytes, 400).map((b) => new TextDecoder().decode(b))), (pem) =>
        expectTotal(() => Session.fromPEM(pem), APPLICATION_ERRORS),
      ),
      runs(1000),
    );
  });

  it('tickets: open(seal(s)) is s; a ticket with any byte changed opens to undefined', () => {
    fc.assert(
      fc.property(sessions, fc.nat(), fc.integer({ min: 1, max: 255 }), (s, at, xor) => {
        const ticket = keyring.seal(s);
        const opened = keyring.open(ticket);
        assert.ok(opened);
        assert.deepStrictEqual(opened.session, s);
        assert.equal(opened.renew, false);
        const bad = ticket.slice();
        bad[at % bad.length]! ^= xor;
        assert.equal(keyring.open(bad), undefined);
      }),
      runs(300),
    );
  });

  it('tickets: open never throws: arbitrary bytes, our key name with anything after it, and validly sealed garbage or mutated sessions', () => {
    const input = fc.oneof(
      bytes(0, 300),
      bytes(0, 300).map((rest) => Uint8Array.from([...name, ...rest])),
      fc.tuple(hostile(sessions, (s) => s.toDER(), 400), bytes(TICKET_NONCE_LENGTH, TICKET_NONCE_LENGTH)).map(([p, n]) => sealer.seal(p, n)),
    );
    fc.assert(
      fc.property(input, (ticket) => {
        const opened = keyring.open(ticket);
        // A Session can only come out of a ticket whose name and tag are our key's, and it is the sealed one.
        if (opened) {
          const plaintext = sealer.open(ticket);
          assert.ok(plaintext, 'opened although its tag does not verify under our key');
          assert.deepStrictEqual(opened.session, Session.fromDER(plaintext));
        }
      }),
      runs(1500),
    );
  });
});
