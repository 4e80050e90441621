import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import { AlertDescription, TlsError } from '../../src/errors.js';
import {
  HandshakeJoiner,
  MAX_CERTIFICATE_VERIFY_LENGTH,
  MAX_CLIENT_CERTIFICATE_LENGTH,
  MAX_CLIENT_HELLO_LENGTH,
  MAX_CLIENT_KEY_EXCHANGE_LENGTH,
  MAX_FINISHED_LENGTH,
  MAX_HANDSHAKE_BODY_LENGTH,
  type HandshakeMessage,
} from '../../src/record/handshake-joiner.js';
import { RECORD_HEADER_LENGTH, MAX_CIPHERTEXT_LENGTH } from '../../src/record/deframer.js';
import { makeContext } from '../helpers/handshake-harness.js';
import { retainedBytes } from '../helpers/heap.js';
import {
  HandshakeType,
  LARGEST_CLIENT_HELLO_BODY,
  TlsClient,
  concat,
  fragmentIntoRecords,
  handshakeMessage,
  hex,
  largestHelloOptions,
  seededRandom,
} from '../helpers/tls-client.js';

const rng = seededRandom('joiner');
const MESSAGES = [
  handshakeMessage(HandshakeType.client_hello, rng(300)),
  handshakeMessage(HandshakeType.certificate_verify, new Uint8Array(0)),
  handshakeMessage(HandshakeType.client_key_exchange, rng(33)),
  handshakeMessage(HandshakeType.finished, rng(12)),
];

function drain(j: HandshakeJoiner): Array<{ type: number; body: string; raw: string }> {
  const out: Array<{ type: number; body: string; raw: string }> = [];
  for (let m: HandshakeMessage | undefined = j.next(); m; m = j.next()) out.push({ type: m.type, body: hex(m.body), raw: hex(m.raw) });
  return out;
}

const EXPECTED = MESSAGES.map((m) => ({ type: m[0]!, body: hex(m.subarray(4)), raw: hex(m) }));

/** A header announcing `length` bytes of `type`. */
const header = (type: number, length: number): Uint8Array => Uint8Array.of(type, length >>> 16, (length >>> 8) & 0xff, length & 0xff);

function refusal(alert: number, code?: string): (e: unknown) => boolean {
  return (e: unknown) => e instanceof TlsError && e.alert === alert && (code === undefined || e.reason === code);
}

describe('HandshakeJoiner', () => {
  it('returns several messages packed in one record', () => {
    const j = new HandshakeJoiner();
    j.push(concat(...MESSAGES));
    assert.deepEqual(drain(j), EXPECTED);
    assert.ok(j.isEmpty);
  });

  it('joins a message split across records, at every split point (inside the header too)', () => {
    const m = MESSAGES[2]!;
    for (let cut = 1; cut < m.length; cut++) {
      const j = new HandshakeJoiner();
      j.push(m.subarray(0, cut));
      assert.equal(j.next(), undefined, `cut ${cut}`);
      assert.equal(j.isEmpty, false);
      j.push(m.subarray(cut));
      assert.deepEqual(drain(j), [EXPECTED[2]], `cut ${cut}`);
      assert.ok(j.isEmpty);
    }
  });

  it('joins a stream of messages fed one byte at a time', () => {
    const j = new HandshakeJoiner();
    const all = concat(...MESSAGES);
    const got = [];
    for (let i = 0; i < all.length; i++) {
      j.push(all.subarray(i, i + 1));
      got.push(...drain(j));
    }
    assert.deepEqual(got, EXPECTED);
  });

  it('keeps its own copy once retain() is called: reusing the pushed buffer does not change a message', () => {
    const j = new HandshakeJoiner();
    const buf = MESSAGES[3]!.slice();
    j.push(buf.subarray(0, 6));
    assert.equal(j.next(), undefined);
    j.retain();
    buf.fill(0);
    j.push(MESSAGES[3]!.subarray(6));
    assert.deepEqual(drain(j), [EXPECTED[3]]);
    // Unread input (several messages in one record, the handshake waiting on the application) is copied too.
    const packed = concat(MESSAGES[0]!, MESSAGES[2]!);
    const k = new HandshakeJoiner();
    k.push(packed);
    assert.equal(k.next()!.type, HandshakeType.client_hello);
    k.retain();
    packed.fill(0);
    assert.deepEqual(drain(k), [EXPECTED[2]]);
  });

  it('a message is a buffer of its own, exactly header plus announced body', () => {
    const j = new HandshakeJoiner();
    const record = concat(...MESSAGES);
    j.push(record);
    const first = j.next()!;
    assert.equal(first.raw.byteLength, first.raw.buffer.byteLength, 'the message owns its whole ArrayBuffer');
    assert.equal(first.raw.length, MESSAGES[0]!.length);
    assert.notEqual(first.raw.buffer, record.buffer);
  });

  it('pushing twice without reading keeps both, in order', () => {
    const j = new HandshakeJoiner();
    j.push(MESSAGES[0]!.subarray(0, 100));
    j.push(MESSAGES[0]!.subarray(100));
    assert.deepEqual(drain(j), [EXPECTED[0]]);
  });

  it('isEmpty is false while a header is incomplete and true at every boundary', () => {
    const j = new HandshakeJoiner();
    assert.ok(j.isEmpty);
    j.push(Uint8Array.of(20, 0));
    assert.equal(j.isEmpty, false);
    j.push(Uint8Array.of(0, 1, 0xaa));
    assert.deepEqual(drain(j), [{ type: 20, body: 'aa', raw: '14000001aa' }]);
    assert.ok(j.isEmpty);
    j.push(new Uint8Array(0));
    assert.ok(j.isEmpty);
  });

  describe('limits per message type, decided from the 4-byte header', () => {
    // The caps as literals, each from its own source, so a change to the constants shows here.
    const caps: Array<[string, number, number]> = [
      // OpenSSL's CLIENT_HELLO_MAX_LENGTH (ssl/statem/statem_local.h): every field at its maximum.
      ['ClientHello', HandshakeType.client_hello, 131_396],
      // OpenSSL's SSL_MAX_CERT_LIST_DEFAULT (include/openssl/ssl.h), the default max_cert_list: 100 KiB.
      ['Certificate', HandshakeType.certificate, 102_400],
      // Ours, below OpenSSL's CLIENT_KEY_EXCH_MAX_LENGTH (2,048): a 1-byte length and an ECDHE point.
      ['ClientKeyExchange', HandshakeType.client_key_exchange, 256],
      // Ours, below OpenSSL's SSL3_RT_MAX_PLAIN_LENGTH (16,384): an RSA-8192 signature needs 1,028.
      ['CertificateVerify', HandshakeType.certificate_verify, 2048],
      // RFC 5246 §7.4.9: verify_data is 12 bytes for every TLS 1.2 suite (OpenSSL's FINISHED_MAX_LENGTH is 64).
      ['Finished', HandshakeType.finished, 12],
    ];

    it('the caps are OpenSSL\'s where it has one: ClientHello 131,396, Certificate 100 KiB; ours below it elsewhere', () => {
      assert.equal(LARGEST_CLIENT_HELLO_BODY, 131_396);
      assert.equal(131_396, 2 + 32 + (1 + 32) + (2 + 65534) + (1 + 255) + (2 + 65535));
      assert.deepEqual(
        [MAX_CLIENT_HELLO_LENGTH, MAX_CLIENT_CERTIFICATE_LENGTH, MAX_CLIENT_KEY_EXCHANGE_LENGTH, MAX_CERTIFICATE_VERIFY_LENGTH, MAX_FINISHED_LENGTH],
        caps.map((c) => c[2]),
      );
      assert.deepEqual([...MAX_HANDSHAKE_BODY_LENGTH.entries()].sort((a, b) => a[0] - b[0]), caps.map((c) => [c[1], c[2]]).sort((a, b) => a[0]! - b[0]!));
    });

    for (const [name, type, cap] of caps) {
      it(`${name}: exactly ${cap} bytes are joined, ${cap + 1} are decode_error before any of the body arrives`, () => {
        const body = rng(cap);
        const j = new HandshakeJoiner();
        const m = handshakeMessage(type, body);
        for (let at = 0; at < m.length; at += 16384) j.push(m.subarray(at, at + 16384));
        const got = j.next()!;
        assert.equal(got.body.length, cap);
        assert.equal(hex(got.raw), hex(m));

        const over = new HandshakeJoiner();
        over.push(header(type, cap + 1));
        assert.throws(() => over.next(), refusal(AlertDescription.decode_error, 'ERR_EXCESSIVE_MESSAGE_SIZE'));
        // The largest length a header can announce: refused the same way, nothing allocated for it.
        const huge = new HandshakeJoiner();
        huge.push(header(type, 0xffffff).subarray(0, 3));
        assert.equal(huge.next(), undefined);
        huge.push(Uint8Array.of(0xff));
        assert.throws(() => huge.next(), refusal(AlertDescription.decode_error, 'ERR_EXCESSIVE_MESSAGE_SIZE'));
      });
    }

    it('a type a client never sends (ServerHello, HelloRequest, unknown) is unexpected_message from its header', () => {
      for (const type of [HandshakeType.hello_request, HandshakeType.server_hello, HandshakeType.server_hello_done, 99, 255]) {
        const j = new HandshakeJoiner();
        j.push(header(type, 0xffffff));
        assert.throws(() => j.next(), refusal(AlertDescription.unexpected_message), `type ${type}`);
      }
    });
  });

  describe('memory: one buffer of the announced length, whatever the fragmentation', () => {
    const MESSAGE_BODY = 65_536;
    /** One record of overhead: a whole TLSCiphertext with its header. */
    const ONE_RECORD = MAX_CIPHERTEXT_LENGTH + RECORD_HEADER_LENGTH;

    it('a 64 KiB message fed one byte at a time holds the message and little else', async function () {
      this.timeout(60_000);
      const m = handshakeMessage(HandshakeType.certificate, rng(MESSAGE_BODY));
      const { median, all } = await retainedBytes(() => {
        const j = new HandshakeJoiner();
        for (let i = 0; i < m.length - 1; i++) {
          j.push(m.subarray(i, i + 1));
          if (j.next()) throw new Error('the message completed early');
          j.retain();
        }
        return j;
      });
      assert.ok(median <= m.length + ONE_RECORD, `retained ${median} bytes (rounds: ${all.join(', ')})`);
      // The measurement does see the message buffer (a Uint8Array's bytes live outside the heap).
      assert.ok(median >= m.length / 2, `retained only ${median} bytes: is the measurement blind? (rounds: ${all.join(', ')})`);
    });

    it('through a ServerConnection: a 64 KiB ClientHello in one-byte records (393 KB on the wire) holds at most the message plus one record', async function () {
      this.timeout(60_000);
      // Every byte but the last, so the connection is holding the partial message when measured.
      const unpadded = new TlsClient({ rng: seededRandom('one-byte records') }).buildClientHello().length - 4;
      const padding = { type: 21, data: new Uint8Array(MESSAGE_BODY - unpadded - 4) };
      const hello = new TlsClient({ rng: seededRandom('one-byte records'), extraExtensions: [padding] }).buildClientHello();
      assert.equal(hello.length, 4 + MESSAGE_BODY);
      const wire = fragmentIntoRecords(22, 0x0301, hello.subarray(0, hello.length - 1), [1]);
      assert.equal(wire.length, (hello.length - 1) * 6);
      const context = makeContext();
      const { median, all } = await retainedBytes(() => {
        const server = new ServerConnection(context);
        // As TCP delivers it: chunks of a few KB, each cutting records anywhere.
        for (let at = 0; at < wire.length; at += 4093) server.receive(wire.subarray(at, at + 4093));
        if (server.error || server.takeOutput()) throw new Error(`the server answered early: ${server.error?.message}`);
        return server;
      });
      assert.ok(median <= hello.length + ONE_RECORD, `retained ${median} bytes per connection (rounds: ${all.join(', ')})`);
    });
  });

  it('a 131,396-byte ClientHello in one-byte records is joined into one message', () => {
    const hello = new TlsClient(largestHelloOptions()).buildClientHello();
    assert.equal(hello.length, 4 + LARGEST_CLIENT_HELLO_BODY);
    const j = new HandshakeJoiner();
    let got: HandshakeMessage | undefined;
    for (let i = 0; i < hello.length; i++) {
      j.push(hello.subarray(i, i + 1));
      got = j.next();
      if (i < hello.length - 1) assert.equal(got, undefined);
    }
    assert.equal(hex(got!.raw), hex(hello));
  });
});
