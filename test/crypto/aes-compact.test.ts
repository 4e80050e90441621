import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'mocha';
import { unsafe } from '@noble/ciphers/aes.js';
import { aesCtr32, encryptAesBlock, expandAesKey } from '../../src/crypto/aes-compact.js';
import { fromHex, hex } from '../helpers/tls-client.js';

/**
 * Our small-table AES (src/crypto/aes-compact.ts) against FIPS 197's examples and against
 * noble's AES, which gcm.ts still uses for records over 1 KiB on the same round keys: the
 * round keys must be word for word noble's, and every block and keystream byte the same.
 */

const KEY_LENGTHS = [16, 24, 32];

describe('aes-compact: the AES block cipher with small tables', () => {
  it('FIPS 197 Appendix C: AES-128, AES-192 and AES-256 example vectors', () => {
    const plaintext = fromHex('00112233445566778899aabbccddeeff');
    const cases = [
      ['000102030405060708090a0b0c0d0e0f', '69c4e0d86a7b0430d8cdb78070b4c55a'],
      ['000102030405060708090a0b0c0d0e0f1011121314151617', 'dda97ca4864cdfe06eaf70a0ec0d7191'],
      ['000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', '8ea2b7ca516745bfeafc49904b496089'],
    ];
    for (const [key, ciphertext] of cases) {
      const out = new Uint8Array(16);
      encryptAesBlock(expandAesKey(fromHex(key!)), plaintext, out);
      assert.equal(hex(out), ciphertext, `key ${key}`);
    }
  });

  it('FIPS 197 Appendix A: the last round-key word of the AES-128 and AES-256 examples', () => {
    // w[43] = b6630ca6 and w[59] = 706c631e, stored as the little-endian reading of their bytes.
    const k128 = expandAesKey(fromHex('2b7e151628aed2a6abf7158809cf4f3c'));
    assert.equal(k128.length, 44);
    assert.equal(k128[43], 0xa60c63b6);
    const k256 = expandAesKey(fromHex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4'));
    assert.equal(k256.length, 60);
    assert.equal(k256[59], 0x1e636c70);
  });

  it('round keys are noble expandKeyLE word for word (its ctr32 runs on them), 300 random keys of each length', () => {
    for (const length of KEY_LENGTHS) {
      for (let i = 0; i < 300; i++) {
        const key = new Uint8Array(randomBytes(length));
        assert.deepEqual(expandAesKey(key), unsafe.expandKeyLE(key.slice()), `length ${length}, key ${hex(key)}`);
      }
    }
  });

  it('writes round keys into a given array of the right length and refuses another length or key size', () => {
    const out = new Uint32Array(44);
    const key = new Uint8Array(randomBytes(16));
    assert.equal(expandAesKey(key, out), out);
    assert.deepEqual(out, unsafe.expandKeyLE(key.slice()));
    assert.throws(() => expandAesKey(key, new Uint32Array(60)), RangeError);
    for (const bad of [0, 8, 15, 17, 31, 33, 64]) assert.throws(() => expandAesKey(new Uint8Array(bad)), RangeError, `key of ${bad} bytes`);
  });

  it('blocks equal noble encryptBlock, 1000 random keys and blocks, in place or not', () => {
    for (let i = 0; i < 1000; i++) {
      const key = new Uint8Array(randomBytes(KEY_LENGTHS[i % 3]!));
      const xk = expandAesKey(key);
      const block = new Uint8Array(randomBytes(16));
      const expected = hex(unsafe.encryptBlock(unsafe.expandKeyLE(key.slice()), block.slice()));
      const out = new Uint8Array(16);
      encryptAesBlock(xk, block, out);
      assert.equal(hex(out), expected, `trial ${i}`);
      encryptAesBlock(xk, block, block);
      assert.equal(hex(block), expected, `trial ${i}, in place`);
    }
  });

  it('CTR equals noble ctr32 for every length 0..300, unaligned views, counters about to wrap', () => {
    for (let n = 0; n <= 300; n++) {
      const key = new Uint8Array(randomBytes(KEY_LENGTHS[n % 3]!));
      const counter = new Uint8Array(randomBytes(16));
      if (n % 5 === 0) counter.set([0xff, 0xff, 0xff, 0xff - (n % 3)], 12); // the 32-bit counter wraps to 0 inside the message
      const input = new Uint8Array(randomBytes(n));
      const nobleCounter = counter.slice();
      const expected = unsafe.ctr32(unsafe.expandKeyLE(key.slice()), false, nobleCounter, input.slice(), new Uint8Array(n));
      // Input and output at odd offsets, as a record's fragment sits at byte 13.
      const inBuffer = new Uint8Array(n + 3);
      inBuffer.set(input, 3);
      const outBuffer = new Uint8Array(n + 20).fill(0xee);
      const ourCounter = counter.slice();
      aesCtr32(expandAesKey(key), ourCounter, inBuffer.subarray(3), outBuffer.subarray(13, 13 + n));
      assert.equal(hex(outBuffer.subarray(13, 13 + n)), hex(expected), `length ${n}`);
      assert.ok(outBuffer.subarray(0, 13).every((b) => b === 0xee) && outBuffer.subarray(13 + n).every((b) => b === 0xee), `length ${n}: nothing written outside the output`);
      // The counter is advanced past every block used, a partial last block included.
      const blocks = Math.ceil(n / 16);
      const start = new DataView(counter.buffer).getUint32(12);
      assert.equal(new DataView(ourCounter.buffer).getUint32(12), (start + blocks) >>> 0, `length ${n}: counter`);
      assert.equal(hex(ourCounter.subarray(0, 12)), hex(counter.subarray(0, 12)), `length ${n}: the nonce part is untouched`);
      if (n % 16 === 0) assert.equal(hex(ourCounter), hex(nobleCounter), `length ${n}: counter as noble leaves it`);
    }
  });

  it('CTR in place and in consecutive calls gives one keystream', () => {
    const key = new Uint8Array(randomBytes(32));
    const xk = expandAesKey(key);
    const data = new Uint8Array(randomBytes(160));
    const whole = new Uint8Array(160);
    aesCtr32(xk, new Uint8Array(16), data, whole);
    const inPlace = data.slice();
    const counter = new Uint8Array(16);
    aesCtr32(xk, counter, inPlace.subarray(0, 48), inPlace.subarray(0, 48));
    aesCtr32(xk, counter, inPlace.subarray(48), inPlace.subarray(48));
    assert.equal(hex(inPlace), hex(whole));
  });

  it('refuses an output shorter than the input', () => {
    const xk = expandAesKey(new Uint8Array(16));
    assert.throws(() => aesCtr32(xk, new Uint8Array(16), new Uint8Array(17), new Uint8Array(16)), RangeError);
  });
});
