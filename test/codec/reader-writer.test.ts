import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { Reader } from '../../src/codec/reader.js';
import { Writer } from '../../src/codec/writer.js';
import { AlertDescription, TlsError } from '../../src/errors.js';
import { hex } from '../helpers/tls-client.js';

function isDecodeError(e: unknown): boolean {
  return e instanceof TlsError && e.alert === AlertDescription.decode_error && !(e instanceof RangeError);
}

/** A nested structure written with every Writer method. */
function sample(): Uint8Array {
  const w = new Writer(4); // tiny, so it has to grow several times
  w.u8(0xab).u16(0xbeef).u24(0x123456).u32(0xfedcba98);
  w.vec8(Uint8Array.of(1, 2, 3));
  w.vec16(new Uint8Array(300).fill(7));
  w.vec24(Uint8Array.of(9));
  w.lengthPrefixed(2, (outer) => {
    outer.u8(1);
    outer.lengthPrefixed(1, (inner) => inner.u16(0x0102));
    outer.lengthPrefixed(3, () => undefined);
  });
  return w.finish().slice();
}

/** Reads `sample()` back, checking every value. */
function readSample(bytes: Uint8Array): void {
  const r = new Reader(bytes);
  assert.equal(r.u8(), 0xab);
  assert.equal(r.u16(), 0xbeef);
  assert.equal(r.u24(), 0x123456);
  assert.equal(r.u32(), 0xfedcba98);
  assert.equal(hex(r.vec8()), '010203');
  const v16 = r.vec16();
  assert.equal(v16.length, 300);
  assert.ok(v16.every((b) => b === 7));
  assert.equal(hex(r.vec24()), '09');
  const outer = r.sub16();
  assert.equal(outer.u8(), 1);
  const inner = outer.sub8();
  assert.equal(inner.u16(), 0x0102);
  inner.expectEmpty('inner');
  assert.equal(outer.sub24().remaining, 0);
  outer.expectEmpty('outer');
  r.expectEmpty('sample');
}

describe('Writer', () => {
  it('encodes integers big-endian and vectors with their length prefixes', () => {
    const w = new Writer(1);
    w.u8(0x01).u16(0x0203).u24(0x040506).u32(0x0708090a).vec8(Uint8Array.of(0xff)).vec16(new Uint8Array(0)).vec24(Uint8Array.of(1, 2));
    assert.equal(hex(w.finish()), '01' + '0203' + '040506' + '0708090a' + '01ff' + '0000' + '0000020102');
    assert.equal(w.length, 19);
  });

  it('back-patches nested length prefixes of 1, 2 and 3 bytes', () => {
    const w = new Writer(2);
    w.lengthPrefixed(3, (a) => a.lengthPrefixed(2, (b) => b.lengthPrefixed(1, (c) => c.bytes(Uint8Array.of(0xaa, 0xbb)))));
    assert.equal(hex(w.finish()), '000005' + '0003' + '02' + 'aabb');
  });

  it('grows past its initial capacity without losing bytes', () => {
    const w = new Writer(1);
    for (let i = 0; i < 5000; i++) w.u16(i);
    const out = w.finish();
    assert.equal(out.length, 10000);
    const r = new Reader(out);
    for (let i = 0; i < 5000; i++) assert.equal(r.u16(), i);
  });

  it('refuses vectors and blocks too long for their prefix (a programming error, RangeError)', () => {
    assert.throws(() => new Writer().vec8(new Uint8Array(256)), RangeError);
    assert.throws(() => new Writer().vec16(new Uint8Array(65536)), RangeError);
    assert.throws(() => new Writer().lengthPrefixed(1, (w) => w.bytes(new Uint8Array(256))), RangeError);
    assert.doesNotThrow(() => new Writer().vec8(new Uint8Array(255)).vec16(new Uint8Array(65535)));
  });
});

describe('Reader', () => {
  it('round-trips everything the Writer writes', () => {
    readSample(sample());
  });

  it('reads u32 values with the top bit set as unsigned', () => {
    assert.equal(new Reader(Uint8Array.of(0xff, 0xff, 0xff, 0xff)).u32(), 0xffffffff);
    assert.equal(new Reader(Uint8Array.of(0x80, 0, 0, 0)).u32(), 0x80000000);
  });

  it('returns views, not copies, and tracks position and remaining', () => {
    const buf = Uint8Array.of(2, 9, 8, 7);
    const r = new Reader(buf);
    const v = r.vec8();
    assert.equal(v.buffer, buf.buffer);
    assert.equal(r.position, 3);
    assert.equal(r.remaining, 1);
    assert.equal(hex(r.rest()), '07');
    assert.equal(r.remaining, 0);
  });

  it('every truncation of a valid structure is a decode_error TlsError, never a RangeError', () => {
    const full = sample();
    for (let n = 0; n < full.length; n++) {
      assert.throws(() => readSample(full.subarray(0, n)), isDecodeError, `truncated to ${n} bytes`);
    }
  });

  it('each primitive overruns with decode_error', () => {
    const cases: Array<[string, (r: Reader) => unknown, number[]]> = [
      ['u8', (r) => r.u8(), []],
      ['u16', (r) => r.u16(), [1]],
      ['u24', (r) => r.u24(), [1, 2]],
      ['u32', (r) => r.u32(), [1, 2, 3]],
      ['bytes', (r) => r.bytes(4), [1, 2, 3]],
      ['vec8', (r) => r.vec8(), [3, 1, 2]],
      ['vec16', (r) => r.vec16(), [0, 3, 1, 2]],
      ['vec24', (r) => r.vec24(), [0, 0, 3, 1, 2]],
      ['vec16 with huge length', (r) => r.vec16(), [0xff, 0xff]],
      ['vec24 with huge length', (r) => r.vec24(), [0xff, 0xff, 0xff, 0]],
      ['sub8', (r) => r.sub8(), [1]],
      ['sub16', (r) => r.sub16(), [0]],
      ['sub24', (r) => r.sub24(), [0, 0, 9]],
      ['length prefix itself truncated', (r) => r.vec16(), [1]],
    ];
    for (const [name, read, bytes] of cases) {
      assert.throws(() => read(new Reader(Uint8Array.from(bytes))), isDecodeError, name);
    }
  });

  it('a sub-reader cannot read past its own block, even when the parent has more bytes', () => {
    const r = new Reader(Uint8Array.of(0, 1, 0xaa, 0xbb, 0xcc));
    const sub = r.sub16();
    assert.equal(sub.u8(), 0xaa);
    assert.throws(() => sub.u8(), isDecodeError);
    assert.equal(r.u8(), 0xbb);
  });

  it('a sub-reader is a window on its parent\'s bytes: position counts from its start, skip moves without a view, and both stop at its end', () => {
    const r = new Reader(Uint8Array.of(9, 0, 3, 0xaa, 0xbb, 0xcc, 0xdd));
    assert.equal(r.u8(), 9);
    const sub = r.sub16();
    assert.equal(sub.position, 0);
    assert.equal(sub.remaining, 3);
    sub.skip(1);
    assert.equal(sub.position, 1);
    assert.equal(hex(sub.bytes(2)), 'bbcc');
    sub.expectEmpty('window');
    assert.throws(() => sub.skip(1), isDecodeError, 'skip stops at the window too');
    assert.equal(r.position, 6);
    assert.equal(r.u8(), 0xdd);
    const nested = new Reader(Uint8Array.of(0, 4, 2, 0xee, 0xff, 0x11)).sub16();
    const inner = nested.sub8();
    assert.equal(hex(inner.rest()), 'eeff');
    assert.throws(() => inner.u8(), isDecodeError);
    assert.equal(nested.u8(), 0x11);
    assert.throws(() => new Reader(Uint8Array.of(1, 2)).skip(3), isDecodeError);
  });

  it('expectEmpty is a decode_error when bytes are left over', () => {
    const r = new Reader(Uint8Array.of(1, 2));
    r.u8();
    assert.throws(() => r.expectEmpty('thing'), (e: unknown) => isDecodeError(e) && /1 trailing bytes after thing/.test((e as Error).message));
    r.u8();
    assert.doesNotThrow(() => r.expectEmpty('thing'));
  });

  it('a failed read does not move the cursor', () => {
    const r = new Reader(Uint8Array.of(0, 5, 1));
    assert.throws(() => r.u32(), isDecodeError);
    assert.equal(r.position, 0);
    assert.equal(r.u16(), 5);
  });
});
