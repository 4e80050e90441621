import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'mocha';
import { Tag, bitString, explicit, octetString, sequence, tlv, uint } from '../../src/codec/der.js';
import { TlsDecodeError } from '../../src/errors.js';
import type { SessionFields } from '../../src/session/session.js';
import { decodeSession, encodeSession, sessionFromPem, sessionToPem } from '../../src/session/session-der.js';
import { Scratch, freePort, openssl, seededRandom, sessIdText, startSServer, stop } from '../helpers/openssl.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const filled = (n: number, byte: number): Uint8Array => new Uint8Array(n).fill(byte);

const NONE = new Uint8Array(0);
/** [n] EXPLICIT OCTET STRING and [n] EXPLICIT INTEGER, as in OpenSSL's SSL_SESSION. */
const octets = (n: number, v: Uint8Array): Uint8Array => explicit(n, octetString(v));
const int = (n: number, v: number): Uint8Array => explicit(n, uint(v));
/** An INTEGER with exactly these content octets (to write malformed ones). */
const rawInt = (...content: number[]): Uint8Array => tlv(Tag.INTEGER, Uint8Array.of(...content));

/** What OpenSSL 3.0 always ends a session with: [19] kex_group INTEGER (we write 0). */
const KEX_GROUP_ZERO = 'b303020100';

function sample(changes: Partial<SessionFields> = {}): SessionFields {
  return {
    version: 0x0303,
    cipherSuite: 0xc02b,
    sessionId: Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + (i % 16)),
    masterSecret: Uint8Array.from({ length: 48 }, (_, i) => i * 5),
    sidCtx: utf8('abc'),
    createdAt: 1_700_000_000,
    timeout: 300,
    extendedMasterSecret: true,
    ...changes,
  };
}

/** Plain objects for comparison: drops keys whose value is undefined. */
function plain(s: SessionFields): Record<string, unknown> {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
}

function assertDecodeError(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TlsDecodeError, `expected TlsDecodeError, got ${String(e)}`);
    assert.equal(e.code, 'ERR_SESSION_DECODE');
    assert.match(e.message, /^SSL session: \S/);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** A session's DER with the mandatory fields given explicitly and any fields after them. */
function rawSession(o: {
  asn1Version?: Uint8Array;
  sslVersion?: Uint8Array;
  cipher?: Uint8Array;
  sessionId?: Uint8Array;
  masterKey?: Uint8Array;
  rest?: Uint8Array[];
}): Uint8Array {
  return sequence(
    o.asn1Version ?? uint(1),
    o.sslVersion ?? uint(0x0303),
    octetString(o.cipher ?? Uint8Array.of(0xc0, 0x2b)),
    octetString(o.sessionId ?? filled(32, 1)),
    octetString(o.masterKey ?? filled(48, 2)),
    ...(o.rest ?? [int(1, 1_700_000_000), int(2, 300), octets(4, utf8('abc'))]),
  );
}

const withFields = (...rest: Uint8Array[]): Uint8Array => rawSession({ rest });

const CIPHER_NAMES: Record<number, string> = {
  0xc02b: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  0xc02f: 'ECDHE-RSA-AES128-GCM-SHA256',
  0x009c: 'AES128-GCM-SHA256',
};

let scratch: Scratch;

describe('session/session-der', () => {
  before(() => {
    scratch = new Scratch();
  });
  after(() => scratch.dispose());

  describe('session-der: round trip', () => {
    const variants: Record<string, Partial<SessionFields>> = {
      'no optional fields': {},
      'server name': { serverName: 'www.example.com' },
      'ALPN (byte-preserving)': { alpn: 'h2' },
      'ALPN with non-ASCII bytes': { alpn: '\u00ff\u0000\u0080x' },
      'empty ALPN': { alpn: '' },
      'verify result': { verifyResult: 18 },
      'no extended master secret': { extendedMasterSecret: false },
      'empty session id (ticket-only session)': { sessionId: NONE },
      'empty sid_ctx': { sidCtx: NONE },
      'binary 32-byte sid_ctx': { sidCtx: Uint8Array.from({ length: 32 }, (_, i) => 255 - i) },
      'other suite and TLS 1.0': { version: 0x0301, cipherSuite: 0x002f },
      'time and timeout zero': { createdAt: 0, timeout: 0 },
      'large time': { createdAt: 2 ** 40, timeout: 2 ** 31 },
    };
    for (const [name, changes] of Object.entries(variants)) {
      it(`fields -> DER -> fields is the identity: ${name}`, () => {
        const s = sample(changes);
        assert.deepEqual(plain(decodeSession(encodeSession(s))), plain(s));
      });
    }

    it('round trips every optional field at once, with a real peer certificate', () => {
      const s = sample({
        serverName: 'localhost',
        alpn: 'http/1.1',
        peerCertificate: new Uint8Array(scratch.certDer),
        verifyResult: 21,
      });
      const decoded = decodeSession(encodeSession(s));
      assert.deepEqual(plain(decoded), plain(s));
      assert.deepEqual(decodeSession(encodeSession(decoded)), decoded);
    });

    it('writes the layout OpenSSL 3.0 writes, field by field', () => {
      const der = encodeSession(sample({ serverName: 'a', alpn: 'h2', verifyResult: 1 }));
      const parts = [
        '020101', // version 1
        '02020303', // ssl_version TLS 1.2
        '0402c02b', // cipher
        '0420' + hex(sample().sessionId),
        '0430' + hex(sample().masterSecret),
        'a106' + '02046553f100', // [1] time 1700000000
        'a204' + '0202012c', // [2] timeout 300
        'a405' + '0403616263', // [4] sid_ctx 'abc'
        'a503' + '020101', // [5] verify_result 1
        'a603' + '040161', // [6] hostname 'a'
        'ad03' + '020101', // [13] flags: extended master secret
        'b004' + '04026832', // [16] ALPN 'h2'
        KEX_GROUP_ZERO, // [19] kex_group
      ];
      const body = parts.join('');
      assert.equal(hex(der), '3081' + (body.length / 2).toString(16) + body);
    });

    it('leaves out what OpenSSL leaves out: zero time/timeout/verify result/flags, but always writes sid_ctx', () => {
      const der = encodeSession(
        sample({ createdAt: 0, timeout: 0, verifyResult: 0, extendedMasterSecret: false, sidCtx: NONE }),
      );
      const tail = hex(der).slice(-(4 + 5) * 2);
      assert.equal(tail, 'a4020400' + KEX_GROUP_ZERO);
      // verifyResult 0 is X509_V_OK, which OpenSSL does not write; it reads back as "not given".
      assert.equal(decodeSession(der).verifyResult, undefined);
    });

    it('does not alias its input, even when given a Buffer', () => {
      const der = Buffer.from(encodeSession(sample({ peerCertificate: new Uint8Array(scratch.certDer) })));
      const s = decodeSession(der);
      assert.equal(Object.getPrototypeOf(s.masterSecret), Uint8Array.prototype);
      const before = hex(s.masterSecret) + hex(s.sessionId) + hex(s.sidCtx) + hex(s.peerCertificate!);
      der.fill(0);
      assert.equal(hex(s.masterSecret) + hex(s.sessionId) + hex(s.sidCtx) + hex(s.peerCertificate!), before);
    });

    it('PEM: SSL SESSION PARAMETERS in 64-column lines, round trip', () => {
      const s = sample({ serverName: 'localhost', alpn: 'h2' });
      const pem = sessionToPem(s);
      const lines = pem.trimEnd().split('\n');
      assert.equal(lines[0], '-----BEGIN SSL SESSION PARAMETERS-----');
      assert.equal(lines.at(-1), '-----END SSL SESSION PARAMETERS-----');
      assert.ok(lines.slice(1, -1).every((l) => l.length <= 64));
      assert.deepEqual(plain(sessionFromPem(pem)), plain(s));
      assert.deepEqual(plain(sessionFromPem(`some text before\n${pem}and after\n`)), plain(s));
    });

    it('refuses to encode what OpenSSL could not read back', () => {
      assert.throws(() => encodeSession(sample({ sidCtx: filled(33, 1) })), RangeError);
      assert.throws(() => encodeSession(sample({ sessionId: filled(33, 1) })), RangeError);
      assert.throws(() => encodeSession(sample({ masterSecret: filled(49, 1) })), RangeError);
      assert.throws(() => encodeSession(sample({ cipherSuite: 0x10000 })), RangeError);
      assert.throws(() => encodeSession(sample({ createdAt: -1 })), RangeError);
      assert.throws(() => encodeSession(sample({ alpn: 'h\u0100' })), RangeError);
      assert.throws(() => encodeSession(sample({ serverName: 'a\u0000b' })), RangeError);
    });
  });

  describe('session-der: openssl sess_id reads what we write', () => {
    const cases: Record<string, Partial<SessionFields>> = {
      'a full TLS 1.2 server session': { serverName: 'localhost', alpn: 'h2' },
      'no EMS, empty session id and sid_ctx': {
        extendedMasterSecret: false,
        sessionId: NONE,
        sidCtx: NONE,
        cipherSuite: 0xc02f,
      },
      'binary sid_ctx, RSA key exchange suite, verify result': {
        sidCtx: Uint8Array.of(0, 1, 2, 0xfe, 0xff),
        cipherSuite: 0x009c,
        verifyResult: 18,
        timeout: 86_400,
      },
    };

    for (const [name, changes] of Object.entries(cases)) {
      it(`${name}: -text prints our values (DER and PEM)`, () => {
        const s = sample(changes);
        for (const [file, inform] of [
          [scratch.file(encodeSession(s), 'der'), 'DER'],
          [scratch.file(sessionToPem(s), 'pem'), 'PEM'],
        ] as const) {
          const t = sessIdText(file, inform);
          assert.equal(t.get('Protocol'), 'TLSv1.2');
          assert.equal(t.get('Cipher'), CIPHER_NAMES[s.cipherSuite]);
          assert.equal(t.get('Session-ID'), hex(s.sessionId).toUpperCase());
          assert.equal(t.get('Session-ID-ctx'), hex(s.sidCtx).toUpperCase());
          assert.equal(t.get('Master-Key'), hex(s.masterSecret).toUpperCase());
          assert.equal(t.get('Start Time'), String(s.createdAt));
          assert.equal(t.get('Timeout'), `${s.timeout} (sec)`);
          assert.match(t.get('Verify return code') ?? '', new RegExp(`^${s.verifyResult ?? 0} `));
          assert.equal(t.get('Extended master secret'), s.extendedMasterSecret ? 'yes' : 'no');
          // OpenSSL 3.0's SSL_SESSION_print shows neither SNI nor ALPN; the byte comparison below covers them.
          assert.ok(![...t.keys()].some((k) => /ALPN|SNI|[Hh]ost/.test(k)));
        }
      });

      it(`${name}: OpenSSL re-encodes our DER to the same bytes (and our PEM to the same text)`, () => {
        const s = sample({ ...changes, peerCertificate: new Uint8Array(scratch.certDer) });
        const der = encodeSession(s);
        const derFile = scratch.file(der, 'der');
        assert.equal(hex(openssl(['sess_id', '-inform', 'DER', '-in', derFile, '-outform', 'DER']).stdout), hex(der));
        const pem = sessionToPem(s);
        const pemFile = scratch.file(pem, 'pem');
        assert.equal(openssl(['sess_id', '-in', pemFile]).stdout.toString(), pem);
        // asn1parse confirms the host name and ALPN sit where OpenSSL expects them.
        if (s.serverName !== undefined) {
          const dump = openssl(['asn1parse', '-inform', 'DER', '-in', derFile]).stdout.toString();
          assert.match(dump, /cont \[ 6 \]\s*\n.*OCTET STRING\s*:localhost/);
          assert.match(dump, /cont \[ 16 \]\s*\n.*OCTET STRING\s*:h2/);
        }
      });
    }
  });

  describe('session-der: sessions written by openssl s_client', function () {
    this.timeout(30_000);
    let server: ChildProcess | undefined;
    let port = 0;
    let sessOut = '';
    let clientOutput = '';
    const sClient = (...extra: string[]): string[] => [
      's_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-tls1_2', '-alpn', 'h2', ...extra,
    ];

    before(async () => {
      port = await freePort();
      // -no_ticket: the session resumes by ID, so the client's session carries nothing we do not model.
      server = await startSServer([
        '-accept', String(port), '-cert', scratch.certFile, '-key', scratch.keyFile, '-tls1_2', '-no_ticket',
        '-context', 'myctx', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256', '-alpn', 'h2', '-www',
      ]);
      sessOut = scratch.path('s_client-session.pem');
      clientOutput = openssl(sClient('-sess_out', sessOut)).stdout.toString();
    });
    after(() => stop(server));

    it('decodes with the negotiated parameters', () => {
      assert.match(clientOutput, /New, TLSv1\.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
      const s = sessionFromPem(readFileSync(sessOut, 'utf8'));
      assert.equal(s.version, 0x0303);
      assert.equal(s.cipherSuite, 0xc02b);
      assert.equal(s.masterSecret.length, 48);
      assert.equal(s.sessionId.length, 32);
      assert.equal(s.extendedMasterSecret, true);
      assert.equal(s.alpn, 'h2');
      assert.deepEqual(s.peerCertificate, new Uint8Array(scratch.certDer));
      // 18 = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: s_client was given no CA.
      assert.equal(s.verifyResult, 18);
      assert.ok(Math.abs(s.createdAt - Date.now() / 1000) < 60);
      // A client session's timeout is the client's own default (7200 s for OpenSSL's TLS methods).
      assert.equal(s.timeout, 7200);
      // The sid_ctx of a client-side session is the *client's* (s_client sets none), not the
      // server's '-context myctx': a server's sid_ctx never goes on the wire.
      assert.equal(s.sidCtx.length, 0);
      // OpenSSL 3.0 clients do not record the SNI they sent in a TLS 1.2 session.
      assert.equal(s.serverName, undefined);
    });

    it('re-encodes to the same bytes, kex_group included', () => {
      const original = openssl(['sess_id', '-in', sessOut, '-outform', 'DER']).stdout;
      const ours = encodeSession(sessionFromPem(readFileSync(sessOut, 'utf8')));
      assert.match(hex(original.subarray(-5)), /^b3030201[0-9a-f]{2}$/); // [19] kex_group (x25519 = 0x1d)
      assert.equal(hex(ours), hex(original));
    });

    it('s_client resumes with the session as we wrote it', () => {
      const ours = scratch.file(sessionToPem(sessionFromPem(readFileSync(sessOut, 'utf8'))), 'pem');
      const out = openssl(sClient('-sess_in', ours)).stdout.toString();
      assert.match(out, /Reused, TLSv1\.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
    });

    it("a client session's sid_ctx must match the client's own: OpenSSL's client checks it too", () => {
      const s = sessionFromPem(readFileSync(sessOut, 'utf8'));
      const changed = scratch.file(sessionToPem({ ...s, sidCtx: utf8('myctx') }), 'pem');
      assert.equal(sessIdText(changed, 'PEM').get('Session-ID-ctx'), hex(utf8('myctx')).toUpperCase());
      // The server (whose sid_ctx is myctx) agrees to resume by ID; the client then compares the
      // session's sid_ctx with its own (empty) one and aborts the handshake.
      const r = openssl(sClient('-sess_in', changed), true);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /attempt to reuse session in different context/);
    });
  });

  describe('session-der: node:tls (OpenSSL 3.0) accepts our DER for resumption', function () {
    this.timeout(30_000);
    const store = new Map<string, Buffer>();
    let server: tls.Server;
    let port = 0;
    let firstId: Buffer;
    let firstData: Buffer;
    let firstClientSession: Buffer;

    /** Connects and reports whether client and server each saw a resumed session. */
    function connect(session?: Buffer): Promise<{ client: boolean; server: boolean; session: Buffer; cipher: string }> {
      return new Promise((resolve, reject) => {
        const socket = tls.connect({
          port, host: '127.0.0.1', ca: scratch.cert, servername: 'localhost', maxVersion: 'TLSv1.2',
          ALPNProtocols: ['h2'], ...(session ? { session } : {}),
        });
        let reply = '';
        socket.on('data', (d: Buffer) => (reply += d.toString()));
        socket.on('error', reject);
        socket.on('end', () => {
          resolve({
            client: socket.isSessionReused(),
            server: reply === 'resumed',
            session: socket.getSession()!,
            cipher: socket.getCipher().standardName,
          });
          socket.end();
        });
      });
    }

    before(async () => {
      server = tls.createServer(
        {
          key: scratch.key, cert: scratch.cert, sessionIdContext: 'abc', sessionTimeout: 600,
          secureOptions: crypto.constants.SSL_OP_NO_TICKET, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', ALPNProtocols: ['h2'],
        },
        (socket) => socket.end(socket.isSessionReused() ? 'resumed' : 'full'),
      );
      server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
        store.set(id.toString('hex'), data);
        firstId ??= id;
        firstData ??= data;
        done();
      });
      server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
        done(null, store.get(id.toString('hex')) ?? null);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
      const first = await connect();
      assert.deepEqual([first.client, first.server], [false, false]);
      assert.equal(first.cipher, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      firstClientSession = first.session;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    /** Puts our encoding of (changed) fields in the external cache, then resumes with the first session. */
    function resumeWithOurs(changes: Partial<SessionFields>) {
      store.set(firstId.toString('hex'), Buffer.from(encodeSession({ ...decodeSession(firstData), ...changes })));
      return connect(firstClientSession);
    }

    it('(a) decodes node:tls server sessions, and our re-encoding is what OpenSSL writes', () => {
      const s = decodeSession(firstData);
      assert.deepEqual(s.sidCtx, utf8('abc'));
      assert.deepEqual(s.sessionId, new Uint8Array(firstId));
      assert.equal(s.version, 0x0303);
      assert.equal(s.cipherSuite, 0xc02b);
      assert.equal(s.masterSecret.length, 48);
      assert.equal(s.extendedMasterSecret, true);
      assert.equal(s.alpn, 'h2');
      assert.equal(s.timeout, 600);
      assert.ok(Math.abs(s.createdAt - Date.now() / 1000) < 60);
      // node:tls never gives OpenSSL's SNI callback an "accepted" answer, so its server sessions
      // carry no host name, whatever the client sent.
      assert.equal(s.serverName, undefined);
      assert.equal(s.peerCertificate, undefined);
      assert.equal(s.verifyResult, undefined);

      const ours = encodeSession(s);
      assert.equal(hex(firstData.subarray(-5)), 'b30302011d'); // kex_group x25519
      assert.equal(s.kexGroup, 0x1d);
      assert.equal(hex(ours), hex(firstData));
      const t = sessIdText(scratch.file(ours, 'der'), 'DER');
      assert.equal(t.get('Session-ID-ctx'), '616263');
    });

    it('(b) resumes (both sides) from our re-encoding of its session', async () => {
      const r = await resumeWithOurs({});
      assert.deepEqual([r.client, r.server], [true, true]);
      assert.equal(r.cipher, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    });

    it('(b) honours the time and timeout we encode: moved but alive resumes, expired does not', async () => {
      const now = Math.floor(Date.now() / 1000);
      const moved = await resumeWithOurs({ createdAt: now - 1000, timeout: 3600 });
      assert.deepEqual([moved.client, moved.server], [true, true]);
      const expired = await resumeWithOurs({ createdAt: now - 1000, timeout: 600 });
      assert.deepEqual([expired.client, expired.server], [false, false]);
    });

    it('(c) does not resume a session re-encoded under another sid_ctx', async () => {
      const other = await resumeWithOurs({ sidCtx: utf8('xyz') });
      assert.deepEqual([other.client, other.server], [false, false]);
      const empty = await resumeWithOurs({ sidCtx: NONE });
      assert.deepEqual([empty.client, empty.server], [false, false]);
      // And the control: the right sid_ctx still resumes after those misses.
      const same = await resumeWithOurs({ sidCtx: utf8('abc') });
      assert.deepEqual([same.client, same.server], [true, true]);
    });
  });

  describe('session-der: malformed input', () => {
    const full = encodeSession(
      sample({
        serverName: 'localhost',
        alpn: 'h2',
        verifyResult: 18,
        peerCertificate: sequence(sequence(), sequence(), bitString(NONE)), // the outer shape of a Certificate
      }),
    );

    it('the fixtures here are themselves valid', () => {
      assert.equal(decodeSession(full).serverName, 'localhost');
      assert.equal(decodeSession(rawSession({})).cipherSuite, 0xc02b);
    });

    it('every truncation of a valid encoding', () => {
      for (let n = 0; n < full.length; n++) assertDecodeError(() => decodeSession(full.subarray(0, n)));
    });

    const cases: [string, Uint8Array, RegExp][] = [
      ['empty input', NONE, /not a DER SEQUENCE/],
      ['ASN.1 version 2', rawSession({ asn1Version: uint(2) }), /version 2 \(expected 1\)/],
      ['ASN.1 version 0', rawSession({ asn1Version: uint(0) }), /version 0 \(expected 1\)/],
      ['session_id of 33 bytes', rawSession({ sessionId: filled(33, 1) }), /session_id is 33 bytes \(at most 32/],
      ['master_key of 49 bytes', rawSession({ masterKey: filled(49, 1) }), /master_key is 49 bytes \(at most 48/],
      ['sid_ctx of 33 bytes', withFields(octets(4, filled(33, 0x41))), /session_id_context is 33 bytes/],
      ['cipher of 3 bytes', rawSession({ cipher: Uint8Array.of(0, 0xc0, 0x2b) }), /cipher is 3 bytes/],
      ['cipher of 0 bytes', rawSession({ cipher: NONE }), /cipher is 0 bytes/],
      ['negative ssl_version', rawSession({ sslVersion: rawInt(0xff) }), /ssl_version: negative/],
      ['ssl_version above 0xffff', rawSession({ sslVersion: uint(0x10000) }), /not a protocol version/],
      ['a non-SEQUENCE', octetString(filled(10, 0)), /not a DER SEQUENCE/],
      ['a SET', tlv(Tag.SET, uint(1)), /not a DER SEQUENCE/],
      ['trailing garbage', Uint8Array.of(...rawSession({}), 0x00), /trailing bytes/],
      ['a second SEQUENCE after the first', Uint8Array.of(...rawSession({}), ...rawSession({})), /trailing bytes/],
      ['fields out of order', withFields(octets(6, utf8('x')), octets(4, NONE)), /out of order/],
      ['a repeated field', withFields(octets(4, NONE), octets(4, NONE)), /\[4\] is out of order or repeated/],
      ['[9] holding an OCTET STRING instead of an INTEGER', withFields(octets(9, utf8('x'))), /\[9\]: expected tag 0x2/],
      ['[4] holding two values', withFields(tlv(0xa4, octetString(NONE), octetString(NONE))), /trailing bytes in field \[4\]/],
      ['[4] in primitive form', withFields(tlv(0x84, octetString(NONE))), /\[4\] has the wrong form/],
      ['[3] peer that is not a certificate', withFields(explicit(3, sequence(uint(0)))), /peer tbsCertificate/],
      ['a universal tag among the optional fields', withFields(uint(5)), /unexpected tag 0x2 after master_key/],
      ['negative time', withFields(explicit(1, rawInt(0xff))), /time: negative/],
      ['non-minimal INTEGER', rawSession({ asn1Version: rawInt(0, 1) }), /non-minimal INTEGER/],
      ['non-minimal length', Uint8Array.of(0x30, 0x81, 0x03, 0x02, 0x01, 0x01), /non-minimal DER length/],
      ['indefinite length', Uint8Array.of(0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00), /indefinite length/],
      ['flags wider than 64 bits', withFields(explicit(13, rawInt(1, 0, 0, 0, 0, 0, 0, 0, 0))), /\[13\]: INTEGER too large/],
    ];
    for (const [name, der, message] of cases) {
      it(`rejects ${name}`, () => assertDecodeError(() => decodeSession(der), message));
    }

    it('OpenSSL rejects the same structural faults (cross-check)', () => {
      const rejectedByBoth = [
        rawSession({ asn1Version: uint(2) }),
        rawSession({ sessionId: filled(33, 1) }),
        withFields(octets(4, filled(33, 0x41))),
        rawSession({ cipher: Uint8Array.of(0, 0xc0, 0x2b) }),
        withFields(octets(6, utf8('x')), octets(4, NONE)),
        withFields(octets(9, utf8('x'))),
        rawSession({ asn1Version: rawInt(0, 1) }),
      ];
      for (const der of rejectedByBoth) {
        assertDecodeError(() => decodeSession(der));
        const r = openssl(['sess_id', '-inform', 'DER', '-in', scratch.file(der), '-noout'], true);
        assert.notEqual(r.status, 0, `openssl accepted ${hex(der)}`);
      }
    });

    it('accepts, like OpenSSL, fields it does not use and zero values written explicitly', () => {
      const s = decodeSession(
        rawSession({
          rest: [
            tlv(0x80, utf8('key_arg')), // [0] IMPLICIT
            int(1, 1_700_000_000),
            int(2, 300),
            octets(4, utf8('abc')),
            int(5, 0),
            octets(6, utf8('host\0ignored')), // OpenSSL keeps it as a C string
            octets(7, utf8('hint')),
            octets(8, utf8('identity')),
            int(9, 7200),
            octets(10, filled(100, 7)),
            octets(11, Uint8Array.of(1)),
            octets(12, utf8('srp')),
            int(13, 0x3),
            int(14, 0xfffffffe),
            int(15, 0),
            octets(16, utf8('h2')),
            int(17, 1),
            octets(18, utf8('appdata')),
            int(19, 0x1d),
          ],
        }),
      );
      assert.deepEqual(plain(s), plain(sample({
        sessionId: filled(32, 1), masterSecret: filled(48, 2), serverName: 'host', alpn: 'h2', verifyResult: 0, kexGroup: 0x1d,
      })));
    });

    it('skips fields newer than OpenSSL 3.0 ([20] peer_rpk and later), where 3.0 itself would fail', () => {
      const der = rawSession({
        rest: [octets(4, utf8('abc')), int(19, 0), octets(20, utf8('rpk')), int(25, 1)],
      });
      assert.deepEqual(decodeSession(der).sidCtx, utf8('abc'));
      assert.notEqual(openssl(['sess_id', '-inform', 'DER', '-in', scratch.file(der), '-noout'], true).status, 0);
    });

    it('keeps protocol versions and suites OpenSSL would refuse: the resumption decision rejects them', () => {
      const s = decodeSession(rawSession({ sslVersion: uint(0x0400), cipher: Uint8Array.of(0x12, 0x34) }));
      assert.equal(s.version, 0x0400);
      assert.equal(s.cipherSuite, 0x1234);
    });

    it('random bytes never throw anything but TlsDecodeError', () => {
      const random = seededRandom(0x5e55);
      for (let i = 0; i < 400; i++) {
        const buf = Uint8Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256));
        // Half of them start like a SEQUENCE so the parser gets past the first byte.
        if (i % 2 === 0 && buf.length > 2) {
          buf[0] = 0x30;
          buf[1] = Math.min(buf.length - 2, 0x7f);
        }
        assertDecodeError(() => decodeSession(buf));
      }
    });

    it('mutations of a valid encoding either decode or throw TlsDecodeError', () => {
      const random = seededRandom(42);
      let rejected = 0;
      for (let i = 0; i < 3000; i++) {
        const der = Uint8Array.from(full);
        for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
          der[Math.floor(random() * der.length)] = Math.floor(random() * 256);
        }
        try {
          const s = decodeSession(der);
          assert.ok(s.sessionId.length <= 32 && s.masterSecret.length <= 48 && s.sidCtx.length <= 32);
        } catch (e) {
          assert.ok(e instanceof TlsDecodeError && e.code === 'ERR_SESSION_DECODE', `unexpected ${String(e)}`);
          rejected++;
        }
      }
      assert.ok(rejected > 1000);
    });

    it('PEM: wrong label, no block, broken base64 and bad DER inside', () => {
      const der = encodeSession(sample());
      const b64 = Buffer.from(der).toString('base64');
      const pem = (label: string, body: string): string => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
      assertDecodeError(() => sessionFromPem(pem('CERTIFICATE', b64)), /SSL SESSION PARAMETERS/);
      assertDecodeError(() => sessionFromPem(''), /no PEM block/);
      assertDecodeError(() => sessionFromPem(pem('SSL SESSION PARAMETERS', '!!!!')), /base64/);
      assertDecodeError(
        () => sessionFromPem(pem('SSL SESSION PARAMETERS', b64.slice(0, 40))),
      );
    });
  });
});
