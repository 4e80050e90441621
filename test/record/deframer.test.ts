import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { AlertDescription, TlsError } from '../../src/errors.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { suiteById } from '../../src/protocol/suites.js';
import { AeadProtection } from '../../src/record/aead.js';
import { MAX_CIPHERTEXT_LENGTH, MAX_PLAINTEXT_LENGTH, RecordDeframer, type RecordLimits } from '../../src/record/deframer.js';
import { RecordLayer } from '../../src/record/record-layer.js';
import { concat, encodeRecord, hex, seededRandom } from '../helpers/tls-client.js';

const PLAIN: RecordLimits = { maxFragmentLength: MAX_PLAINTEXT_LENGTH, version: undefined };
const PLAIN_AGREED: RecordLimits = { maxFragmentLength: MAX_PLAINTEXT_LENGTH, version: 0x0303 };
const CIPHER: RecordLimits = { maxFragmentLength: MAX_CIPHERTEXT_LENGTH, version: 0x0303 };

interface Got {
  type: number;
  version: number;
  fragment: string;
}

/** Everything the deframer returns now, fragments copied (they are views). */
function drain(d: RecordDeframer, limits: RecordLimits = PLAIN): Got[] {
  const out: Got[] = [];
  for (let r = d.next(limits); r; r = d.next(limits)) out.push({ type: r.type, version: r.version, fragment: hex(r.fragment) });
  return out;
}

function tlsError(alert: AlertDescription, code?: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof TlsError, `expected a TlsError, got ${String(e)}`);
    assert.equal(e.alert, alert, `alert ${e.alert} (${e.message})`);
    if (code) assert.equal(e.reason, code);
    return true;
  };
}

const rng = seededRandom('deframer');
const RECORDS = [
  encodeRecord(22, 0x0301, rng(200)),
  encodeRecord(20, 0x0303, Uint8Array.of(1)),
  encodeRecord(23, 0x0303, new Uint8Array(0)),
  encodeRecord(21, 0x0303, Uint8Array.of(2, 40)),
  encodeRecord(22, 0x0303, rng(MAX_PLAINTEXT_LENGTH)),
];
const EXPECTED: Got[] = RECORDS.map((r) => ({ type: r[0]!, version: (r[1]! << 8) | r[2]!, fragment: hex(r.subarray(5)) }));

describe('RecordDeframer', () => {
  it('returns records fed one byte at a time, each as soon as its last byte arrives', () => {
    const d = new RecordDeframer();
    const got: Got[] = [];
    for (const record of RECORDS) {
      for (let i = 0; i < record.length; i++) {
        d.push(record.subarray(i, i + 1));
        const now = drain(d);
        if (i < record.length - 1) assert.equal(now.length, 0, `record complete early at byte ${i}`);
        got.push(...now);
      }
    }
    assert.deepEqual(got, EXPECTED);
    assert.equal(d.buffered, 0);
  });

  it('returns several records pushed in one chunk', () => {
    const d = new RecordDeframer();
    d.push(concat(...RECORDS));
    assert.deepEqual(drain(d), EXPECTED);
  });

  it('survives any chunking of a long stream (buffer growth and compaction)', () => {
    const stream = concat(...Array.from({ length: 8 }, () => concat(...RECORDS)));
    const expected = Array.from({ length: 8 }, () => EXPECTED).flat();
    const sizes = seededRandom('chunks');
    for (let round = 0; round < 5; round++) {
      const d = new RecordDeframer();
      const got: Got[] = [];
      for (let at = 0; at < stream.length; ) {
        const n = 1 + (sizes(2).reduce((a, b) => a * 256 + b, 0) % (round === 0 ? 7 : 20000));
        d.push(stream.subarray(at, at + n));
        at += n;
        got.push(...drain(d));
      }
      assert.deepEqual(got, expected, `round ${round}`);
    }
  });

  it('an empty push changes nothing', () => {
    const d = new RecordDeframer();
    d.push(new Uint8Array(0));
    assert.equal(d.next(PLAIN), undefined);
    assert.equal(d.buffered, 0);
  });

  it('unknown content types are unexpected_message, decided from the first byte of the header', () => {
    for (const type of [0, 19, 24, 25, 0x47, 0xff]) {
      const d = new RecordDeframer();
      d.push(concat(encodeRecord(22, 0x0301, Uint8Array.of(1)), Uint8Array.of(type, 3, 3, 0, 1)));
      assert.equal(d.next(PLAIN)!.type, 22);
      assert.throws(() => d.next(PLAIN), tlsError(AlertDescription.unexpected_message), `type ${type}`);
    }
  });

  it('before the version is agreed any 3.x is accepted; anything else is protocol_version', () => {
    for (const version of [0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x03ff]) {
      const d = new RecordDeframer();
      d.push(encodeRecord(22, version, Uint8Array.of(1)));
      assert.equal(d.next(PLAIN)!.version, version);
    }
    for (const version of [0x0002, 0x0203, 0x0403, 0xfeff]) {
      const d = new RecordDeframer();
      d.push(encodeRecord(22, 0x0301, Uint8Array.of(1)));
      d.next(PLAIN);
      d.push(encodeRecord(22, version, Uint8Array.of(1)));
      assert.throws(() => d.next(PLAIN), tlsError(AlertDescription.protocol_version), `version ${version.toString(16)}`);
    }
  });

  it('after the version is agreed only that exact version is accepted', () => {
    for (const version of [0x0301, 0x0302, 0x0304]) {
      const d = new RecordDeframer();
      d.push(encodeRecord(23, version, Uint8Array.of(1)));
      assert.throws(() => d.next(PLAIN_AGREED), tlsError(AlertDescription.protocol_version));
    }
    const d = new RecordDeframer();
    d.push(encodeRecord(23, 0x0303, Uint8Array.of(1)));
    assert.equal(d.next(PLAIN_AGREED)!.type, 23);
  });

  it('a plaintext record longer than 2^14 is record_overflow from the header alone', () => {
    const ok = new RecordDeframer();
    ok.push(Uint8Array.of(22, 3, 1, 0x40, 0x00));
    assert.equal(ok.next(PLAIN), undefined); // 2^14 is allowed: waiting for the body
    const d = new RecordDeframer();
    d.push(Uint8Array.of(22, 3, 1, 0x40, 0x01)); // header only, no body
    assert.throws(() => d.next(PLAIN), tlsError(AlertDescription.record_overflow));
    const max = new RecordDeframer();
    max.push(Uint8Array.of(23, 3, 3, 0xff, 0xff));
    assert.throws(() => max.next(PLAIN_AGREED), tlsError(AlertDescription.record_overflow));
  });

  it('a protected record longer than 2^14 + 256 is record_overflow from the header alone', () => {
    const ok = new RecordDeframer();
    ok.push(Uint8Array.of(23, 3, 3, (16640 >> 8) & 0xff, 16640 & 0xff));
    assert.equal(ok.next(CIPHER), undefined);
    const d = new RecordDeframer();
    d.push(Uint8Array.of(23, 3, 3, (16641 >> 8) & 0xff, 16641 & 0xff));
    assert.throws(() => d.next(CIPHER), tlsError(AlertDescription.record_overflow));
  });

  it('an SSLv2-format ClientHello is protocol_version with ERR_SSLV2_CLIENT_HELLO, whole or byte by byte', () => {
    // RFC 5246 Appendix E.2: 2-byte length with the top bit set, msg_type 1, version 3.1, ...
    const v2 = Uint8Array.of(0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10, ...new Uint8Array(0x15 + 0x10));
    const whole = new RecordDeframer();
    whole.push(v2);
    assert.throws(() => whole.next(PLAIN), tlsError(AlertDescription.protocol_version, 'ERR_SSLV2_CLIENT_HELLO'));
    const slow = new RecordDeframer();
    let thrown: unknown;
    for (let i = 0; i < v2.length && !thrown; i++) {
      slow.push(v2.subarray(i, i + 1));
      try {
        slow.next(PLAIN);
      } catch (e) {
        thrown = e;
        assert.equal(i, 2, 'decided as soon as the msg_type byte is in');
      }
    }
    assert.ok(thrown);
    tlsError(AlertDescription.protocol_version, 'ERR_SSLV2_CLIENT_HELLO')(thrown);
  });
});

describe('RecordLayer limits follow the read protection', () => {
  const crypto = new NobleCryptoProvider();
  const suite = suiteById(0xc02b)!;
  const key = new Uint8Array(16).fill(3);
  const iv = new Uint8Array(4).fill(4);

  it('2^14 + 1 bytes are refused in clear but a full-size protected record is read', () => {
    const clear = new RecordLayer();
    clear.receive(Uint8Array.of(23, 3, 3, 0x40, 0x01));
    assert.throws(() => clear.nextRecord(), tlsError(AlertDescription.record_overflow));

    const layer = new RecordLayer();
    layer.agreeVersion(0x0303);
    layer.prepareReadProtection(new AeadProtection(crypto, suite, key, iv));
    layer.changeReadProtection();
    const data = new Uint8Array(MAX_PLAINTEXT_LENGTH).fill(0x61);
    const record = new AeadProtection(crypto, suite, key, iv).seal(23, 0x0303, data);
    assert.ok(record.length - 5 > MAX_PLAINTEXT_LENGTH);
    layer.receive(record);
    const got = layer.nextRecord()!;
    assert.equal(got.type, 23);
    assert.equal(got.data.length, MAX_PLAINTEXT_LENGTH);
  });

  it('ChangeCipherSpec before keys were prepared is unexpected_message', () => {
    assert.throws(() => new RecordLayer().changeReadProtection(), tlsError(AlertDescription.unexpected_message));
    assert.throws(() => new RecordLayer().changeWriteProtection(), tlsError(AlertDescription.unexpected_message));
  });

  it('send cuts data into records of at most 2^14 bytes and sends an empty record for empty data', () => {
    const layer = new RecordLayer();
    layer.send(23, new Uint8Array(2 * MAX_PLAINTEXT_LENGTH + 5));
    layer.send(23, new Uint8Array(0));
    const out = layer.takeOutput()!;
    const lengths: number[] = [];
    for (let at = 0; at < out.length; ) {
      const n = (out[at + 3]! << 8) | out[at + 4]!;
      lengths.push(n);
      at += 5 + n;
    }
    assert.deepEqual(lengths, [MAX_PLAINTEXT_LENGTH, MAX_PLAINTEXT_LENGTH, 5, 0]);
    assert.equal(layer.takeOutput(), undefined);
  });
});
