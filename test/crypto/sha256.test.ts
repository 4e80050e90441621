import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'mocha';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { Sha256, releaseSha256, takeSha256 } from '../../src/crypto/sha256.js';
import { hex } from '../helpers/tls-client.js';

/**
 * puretls's SHA-256 (src/crypto/sha256.ts) against the FIPS 180-4 examples, node:crypto
 * (OpenSSL) and noble: whole inputs, inputs fed in pieces of every size around the block,
 * forks, reuse and wiping.
 */

function digest(h: Sha256): string {
  const out = new Uint8Array(32);
  h.digestInto(out);
  return hex(out);
}

/** What a state holds (private: read here to check that wiping leaves nothing). */
function inside(h: Sha256): { state: Int32Array; block: Uint8Array } {
  return h as unknown as { state: Int32Array; block: Uint8Array };
}

describe('SHA-256 (sha256.ts)', () => {
  it('the FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf"): "", "abc", the 448-bit message, a million "a"', () => {
    const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
    const cases: Array<[Uint8Array, string]> = [
      [ascii(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      [ascii('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
      [ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
      [new Uint8Array(1_000_000).fill(0x61), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
    ];
    for (const [message, expected] of cases) assert.equal(digest(new Sha256().update(message)), expected, `${message.length} bytes`);
  });

  it('every length from 0 to 300 (each padding case: 55, 56, 63, 64 bytes into a block), whole and in random pieces, as node:crypto and noble', () => {
    const h = new Sha256();
    for (let n = 0; n <= 300; n++) {
      const data = new Uint8Array(randomBytes(n));
      const expected = createHash('sha256').update(data).digest('hex');
      assert.equal(hex(nobleSha256(data)), expected);
      assert.equal(digest(h.reset().update(data)), expected, `${n} bytes whole`);
      h.reset();
      for (let at = 0; at < n; ) {
        const piece = Math.floor(Math.random() * 140);
        h.update(data.subarray(at, at + piece));
        at += piece;
      }
      assert.equal(digest(h), expected, `${n} bytes in pieces`);
    }
  });

  it('inputs that are Buffers, views at odd offsets, and empty updates between', () => {
    const backing = randomBytes(3000);
    for (let trial = 0; trial < 200; trial++) {
      const start = (trial * 37) % 500;
      const length = (trial * 131) % 2400;
      const data = backing.subarray(start, start + length);
      const h = new Sha256().update(new Uint8Array(0));
      h.update(data.subarray(0, trial % 70)).update(new Uint8Array(0)).update(data.subarray(trial % 70));
      assert.equal(digest(h), createHash('sha256').update(data).digest('hex'), `trial ${trial}`);
    }
  });

  it('copyFrom forks a running state: the copy and the original go on independently', () => {
    const original = new Sha256().update(randomBytes(10));
    const reference = createHash('sha256');
    const prefix = randomBytes(100);
    original.reset().update(prefix);
    reference.update(prefix);
    const fork = new Sha256().update(randomBytes(77)).copyFrom(original);
    fork.update(Buffer.from('fork'));
    assert.equal(digest(fork), reference.copy().update('fork').digest('hex'));
    assert.equal(digest(original), reference.digest('hex'), 'the original is not moved by its fork');
  });

  it('digestInto writes 32 bytes at the offset given and nothing else; a shorter output is refused', () => {
    const data = randomBytes(70);
    const out = new Uint8Array(50).fill(0xee);
    new Sha256().update(data).digestInto(out, 9);
    assert.equal(hex(out.subarray(9, 41)), createHash('sha256').update(data).digest('hex'));
    assert.ok(out.subarray(0, 9).every((b) => b === 0xee) && out.subarray(41).every((b) => b === 0xee));
    assert.throws(() => new Sha256().digestInto(new Uint8Array(40), 9), RangeError);
    assert.throws(() => new Sha256().digestInto(new Uint8Array(31)), RangeError);
  });

  it('a digest leaves no input in the partial block; wipe zeroes the state words too', () => {
    const h = new Sha256().update(randomBytes(100)); // a whole block and 36 bytes buffered
    assert.ok(inside(h).block.some((b) => b !== 0));
    h.digestInto(new Uint8Array(32));
    assert.ok(inside(h).block.every((b) => b === 0), 'the partial block is wiped by the digest');
    assert.ok(inside(h).state.some((w) => w !== 0), 'the state words are the digest until wiped');
    h.wipe();
    assert.ok(inside(h).state.every((w) => w === 0));
    h.update(randomBytes(40)).wipe();
    assert.ok(inside(h).block.every((b) => b === 0), 'buffered bytes are wiped');
    assert.equal(digest(h.reset().update(Buffer.from('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'usable after a reset');
  });

  it('released states are wiped and served again from the start; at most one is kept per release', () => {
    const h = takeSha256().update(randomBytes(90));
    releaseSha256(h);
    assert.ok(inside(h).state.every((w) => w === 0) && inside(h).block.every((b) => b === 0), 'wiped on release');
    const again = takeSha256();
    assert.equal(again, h, 'the released state is the next one taken');
    assert.equal(digest(again.update(Buffer.from('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const other = takeSha256();
    assert.notEqual(other, again, 'a state is handed out once');
  });
});
