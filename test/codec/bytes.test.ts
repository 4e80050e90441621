import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { latin1Bytes, latin1String } from '../../src/codec/bytes.js';

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
