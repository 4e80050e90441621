import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import {
  DerReader,
  Tag,
  bitString,
  boolean,
  contextTag,
  explicit,
  nullValue,
  octetString,
  oid,
  sequence,
  time,
  tlv,
  uint,
  uintBytes,
  utf8String,
} from '../../src/codec/der.js';
import { TlsDecodeError } from '../../src/errors.js';
import { fromHex, hex } from '../helpers/tls-client.js';

function rejects(bytes: string | Uint8Array, read: (r: DerReader) => unknown, message?: RegExp): void {
  const input = typeof bytes === 'string' ? fromHex(bytes) : bytes;
  assert.throws(
    () => read(new DerReader(input)),
    (e: unknown) => {
      assert.ok(e instanceof TlsDecodeError, `expected TlsDecodeError for ${hex(input)}, got ${String(e)}`);
      assert.equal(e.code, 'ERR_DER_DECODE');
      if (message) assert.match(e.message, message);
      return true;
    },
  );
}

describe('DER encoding', () => {
  it('encodes lengths in short and minimal long form', () => {
    assert.equal(hex(tlv(0x04, new Uint8Array(0))), '0400');
    assert.equal(hex(tlv(0x04, new Uint8Array(127))).slice(0, 4), '047f');
    assert.equal(hex(tlv(0x04, new Uint8Array(128))).slice(0, 6), '048180');
    assert.equal(hex(tlv(0x04, new Uint8Array(256))).slice(0, 8), '04820100');
    assert.equal(hex(tlv(0x04, new Uint8Array(65536))).slice(0, 10), '0483010000');
  });

  it('encodes INTEGERs minimally, adding a zero byte only before a set top bit', () => {
    assert.equal(hex(uint(0)), '020100');
    assert.equal(hex(uint(127)), '02017f');
    assert.equal(hex(uint(128)), '02020080');
    assert.equal(hex(uint(65535)), '020300ffff');
    assert.equal(hex(uintBytes(fromHex('000001'))), '020101');
    assert.equal(hex(uintBytes(new Uint8Array(0))), '020100');
    assert.throws(() => uint(-1), RangeError);
  });

  it('encodes OIDs, BOOLEAN, NULL, strings and times', () => {
    assert.equal(hex(oid('1.2.840.10045.2.1')), '06072a8648ce3d0201');
    assert.equal(hex(oid('2.5.29.17')), '0603551d11');
    assert.equal(hex(boolean(true)), '0101ff');
    assert.equal(hex(nullValue()), '0500');
    assert.equal(hex(utf8String('é')), '0c02c3a9');
    assert.equal(Buffer.from(time(new Date(Date.UTC(2049, 11, 31, 23, 59, 59))).subarray(2)).toString(), '491231235959Z');
    assert.equal(time(new Date(Date.UTC(2049, 0, 1)))[0], Tag.UTCTime);
    assert.equal(time(new Date(Date.UTC(2050, 0, 1)))[0], Tag.GeneralizedTime);
  });
});

describe('DerReader', () => {
  it('enter reads any element as a window with its tag; rest takes what a window has left; neither reads past its element', () => {
    const der = sequence(tlv(contextTag(0, false), Uint8Array.of(1, 2, 3)), explicit(4, octetString(Uint8Array.of(7))), uint(5));
    const r = new DerReader(der).sequence();
    const implicit = r.enter();
    assert.equal(r.enteredTag, contextTag(0, false));
    assert.equal(hex(implicit.rest()), '010203');
    assert.ok(implicit.atEnd());
    assert.throws(() => implicit.octetString(), TlsDecodeError, 'the window ends with its element');
    const wrapped = r.enter();
    assert.equal(r.enteredTag, contextTag(4, true));
    assert.equal(hex(wrapped.octetString()), '07');
    wrapped.end('[4]');
    assert.equal(r.uint(), 5, 'the parent goes on after both');
    r.end('sequence');
    // A length that runs past the window (but not past the whole input) is refused.
    const overrun = Uint8Array.of(0x30, 0x03, 0x04, 0x03, 0x01, 0x02, 0x03);
    assert.throws(() => new DerReader(overrun).sequence().octetString(), TlsDecodeError);
  });

  it('reads back what the encoders write', () => {
    const when = new Date(Date.UTC(2031, 4, 6, 7, 8, 9));
    const later = new Date(Date.UTC(2151, 0, 2, 3, 4, 5));
    const der = sequence(
      uint(0x1234567890),
      oid('1.2.840.10045.3.1.7'),
      octetString(Uint8Array.of(1, 2)),
      bitString(Uint8Array.of(4, 5)),
      time(when),
      time(later),
      explicit(3, uint(7)),
      uintBytes(fromHex('80ff')),
    );
    const r = new DerReader(der);
    const s = r.sequence();
    r.end('outer');
    assert.equal(s.uint(), 0x1234567890);
    assert.equal(s.oid(), '1.2.840.10045.3.1.7');
    assert.equal(hex(s.octetString()), '0102');
    assert.equal(hex(s.bitString()), '0405');
    assert.equal(s.time().getTime(), when.getTime());
    assert.equal(s.time().getTime(), later.getTime());
    assert.equal(s.explicit(2), undefined);
    const ex = s.explicit(3)!;
    assert.equal(ex.uint(), 7);
    ex.end('explicit');
    assert.equal(hex(s.uintBytes()), '80ff');
    s.end('sequence');
  });

  it('reads the OID arcs of the first byte for every root (0, 1, 2)', () => {
    for (const dotted of ['0.9.2342', '1.3.6.1.5.5.7', '2.5.4.3', '2.999.1']) {
      assert.equal(new DerReader(oid(dotted)).oid(), dotted);
    }
  });

  it('rejects truncated elements', () => {
    rejects('', (r) => r.read(), /truncated/);
    rejects('04', (r) => r.read(), /truncated/);
    rejects('0403aabb', (r) => r.read(), /overruns/);
    rejects('0482', (r) => r.read(), /truncated DER length/);
    rejects('048201', (r) => r.read(), /truncated DER length/);
  });

  it('rejects indefinite, over-long and non-minimal lengths', () => {
    rejects('0480' + '0000', (r) => r.read(), /indefinite/);
    rejects('0485' + '0000000001' + 'aa', (r) => r.read(), /too large/);
    rejects('04817f' + '00'.repeat(127), (r) => r.read(), /non-minimal/);
    rejects('0482007f' + '00'.repeat(127), (r) => r.read(), /non-minimal/);
    rejects('04820080' + '00'.repeat(128), (r) => r.read(), /non-minimal/);
    assert.equal(new DerReader(fromHex('048180' + '00'.repeat(128))).read().value.length, 128);
  });

  it('rejects high tag numbers', () => {
    rejects('1f0100', (r) => r.read(), /high tag/);
  });

  it('rejects a wrong tag where a type is expected', () => {
    rejects('0400', (r) => r.uint(), /expected tag 0x2/);
    rejects('0201' + '00', (r) => r.sequence());
  });

  it('rejects empty, non-minimal and negative INTEGERs', () => {
    rejects('0200', (r) => r.uint(), /empty INTEGER/);
    rejects('02020001', (r) => r.uint(), /non-minimal/);
    rejects('0202ff80', (r) => r.uint(), /non-minimal/);
    rejects('020180', (r) => r.uint(), /negative/);
    rejects('020180', (r) => r.uintBytes(), /negative/);
    rejects('020800' + 'ff'.repeat(7), (r) => r.uint(), /too large/);
    assert.equal(new DerReader(fromHex('02020080')).uint(), 128);
  });

  it('rejects BIT STRINGs with unused bits or no unused-bits byte', () => {
    rejects('030201ff', (r) => r.bitString(), /unused bits/);
    rejects('0300', (r) => r.bitString(), /unused bits/);
  });

  it('rejects empty, truncated and non-minimal OIDs', () => {
    rejects('0600', (r) => r.oid(), /empty OID/);
    rejects('06022a86', (r) => r.oid(), /truncated OID/);
    rejects('06032a8001', (r) => r.oid(), /non-minimal OID/);
  });

  it('rejects times that are not the RFC 5280 profile or not real dates', () => {
    const t = (tag: number, s: string): Uint8Array => tlv(tag, new TextEncoder().encode(s));
    rejects(t(Tag.UTCTime, '2401010000Z'), (r) => r.time()); // no seconds
    rejects(t(Tag.UTCTime, '240101000000+0100'), (r) => r.time()); // not UTC
    rejects(t(Tag.GeneralizedTime, '20240101000000.5Z'), (r) => r.time()); // fraction
    rejects(t(Tag.UTCTime, '240230000000Z'), (r) => r.time(), /no such date/);
    rejects(t(Tag.UTCTime, '240101246000Z'), (r) => r.time(), /no such date/);
    rejects(t(Tag.OCTET_STRING, '240101000000Z'), (r) => r.time(), /UTCTime or GeneralizedTime/);
    assert.equal(new DerReader(t(Tag.UTCTime, '500101000000Z')).time().getUTCFullYear(), 1950);
    assert.equal(new DerReader(t(Tag.UTCTime, '491231235959Z')).time().getUTCFullYear(), 2049);
  });

  it('end() rejects trailing bytes; optional() reads only a matching tag', () => {
    const r = new DerReader(fromHex('050004017f'));
    assert.equal(r.optional(Tag.INTEGER), undefined);
    assert.equal(hex(r.optional(Tag.NULL)!), '');
    rejects('0500' + '00', (x) => {
      x.read();
      x.end('thing');
    }, /1 trailing bytes in thing/);
  });

  it('a SEQUENCE body that overruns its container is caught even when the outer buffer has more', () => {
    // SEQUENCE of length 3 holding an OCTET STRING that claims 5 bytes; the outer buffer has plenty.
    rejects('3003' + '0405aabb' + 'ccddee', (r) => r.sequence().read(), /overruns/);
  });

  it('contextTag builds EXPLICIT and IMPLICIT tags and refuses high numbers', () => {
    assert.equal(contextTag(0, true), 0xa0);
    assert.equal(contextTag(2, false), 0x82);
    assert.throws(() => contextTag(31, true), RangeError);
  });
});
