import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { pooledRandomBytes } from '../../src/crypto/noble.js';

describe('pooled randomness', () => {
  it('hands out each pool byte once: consecutive draws are disjoint slices of fresh pools', () => {
    const random = pooledRandomBytes(64);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const b = random(32);
      assert.equal(b.length, 32);
      const key = Buffer.from(b).toString('hex');
      assert.ok(!seen.has(key), 'a 32-byte draw repeated');
      seen.add(key);
    }
  });

  it('returns copies the caller may keep and change without touching later draws', () => {
    const random = pooledRandomBytes(64);
    const a = random(16);
    a.fill(0);
    const b = random(16);
    assert.notDeepEqual(b, new Uint8Array(16));
  });

  it('serves requests larger than the pool directly, and zero-length ones', () => {
    const random = pooledRandomBytes(16);
    assert.equal(random(100).length, 100);
    assert.equal(random(0).length, 0);
    // Over many draws the bytes look uniform enough (a broken pool would return zeros).
    const all = Buffer.concat(Array.from({ length: 64 }, () => random(16)));
    const ones = [...all].reduce((n, x) => n + x.toString(2).split('1').length - 1, 0);
    assert.ok(ones > all.length * 8 * 0.4 && ones < all.length * 8 * 0.6, `bit balance ${ones}/${all.length * 8}`);
  });
});
