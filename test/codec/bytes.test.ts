import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { concatBytes, latin1Bytes, latin1String, transientBytes } from '../../src/codec/bytes.js';

describe('latin1 helpers', () => {
  it('round-trip every byte value, at lengths around the slice size and far beyond (no stack overflow)', () => {
    for (const n of [0, 1, 255, 256, 0x1fff, 0x2000, 0x2001, 0x4001, 1_000_000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131) & 0xff);
      const s = latin1String(bytes);
      assert.equal(s.length, n);
      assert.deepEqual(latin1Bytes(s), bytes, `length ${n}`);
      assert.equal(s, Buffer.from(bytes).toString('latin1'), `length ${n}: node's latin1`);
    }
  });

  it('a character above U+00FF is a RangeError', () => {
    assert.throws(() => latin1Bytes('a\u0100'), RangeError);
    assert.throws(() => latin1Bytes('€'), /U\+20ac/);
  });
});

describe('transientBytes (views carved from a shared slab)', () => {
  it('gives zeroed buffers of the size asked, that never overlap, each 8-byte aligned in its slab', () => {
    const sizes = [65, 100, 129, 500, 1000, 4096, 65, 3000, 2000, 77];
    const views = sizes.map((n) => transientBytes(n));
    views.forEach((v, i) => {
      assert.equal(v.length, sizes[i]);
      assert.ok(v.every((b) => b === 0), `view ${i} is zeroed`);
      assert.equal(v.byteOffset % 8, 0);
      v.fill(i + 1);
    });
    // Each view still holds only what was written into it: no other view reached it.
    views.forEach((v, i) => assert.ok(v.every((b) => b === i + 1), `view ${i} kept its bytes`));
    const sameSlab = views.filter((v) => v.buffer === views[0]!.buffer);
    assert.ok(sameSlab.length > 1, 'small requests share a slab');
    assert.ok(views[0]!.buffer.byteLength > views[0]!.length, 'from a slab, not a buffer of its own');
  });

  it('gives 64 bytes or fewer, and more than 4 KiB, buffers of their own', () => {
    for (const n of [0, 1, 64, 4097, 16_400]) {
      const v = transientBytes(n);
      assert.equal(v.length, n);
      assert.equal(v.byteOffset, 0);
      assert.equal(v.buffer.byteLength, n);
    }
  });

  it('concatBytes with transientBytes joins its parts into a slab view', () => {
    const parts = [new Uint8Array(40).fill(1), new Uint8Array(0), new Uint8Array(90).fill(2)];
    const joined = concatBytes(parts, transientBytes);
    assert.equal(joined.length, 130);
    assert.ok(joined.buffer.byteLength > joined.length, 'a view of a slab');
    assert.ok(joined.subarray(0, 40).every((b) => b === 1) && joined.subarray(40).every((b) => b === 2));
  });
});
