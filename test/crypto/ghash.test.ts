import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'mocha';
import { GHASH } from '@noble/ciphers/_polyval.js';
import { CompactGhash } from '../../src/crypto/ghash.js';
import { fromHex, hex } from '../helpers/tls-client.js';

/**
 * Our 4-bit GHASH (src/crypto/ghash.ts) against noble's table-driven GHASH (the reference:
 * gcm.ts uses ours for every key, since it measured faster at every record size): the same
 * key, the same segments, the same digest.
 */

function noble(h: Uint8Array, segments: Uint8Array[]): string {
  const g = new GHASH(h, 1024);
  for (const s of segments) g.update(s);
  return hex(g.digest());
}

function ours(g: CompactGhash, segments: Uint8Array[]): string {
  g.reset();
  for (const s of segments) g.update(s);
  const out = new Uint8Array(16);
  g.digestInto(out);
  return hex(out);
}

const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 12, 13, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 255, 256, 1000, 1024, 4096, 16383, 16384, 16385];

describe('CompactGhash (Shoup 4-bit) against noble GHASH', () => {
  it('one segment of every length around the block size up to 2^14 + 1, 4 random keys each', () => {
    for (let k = 0; k < 4; k++) {
      const h = randomBytes(16);
      const g = new CompactGhash(h);
      for (const n of LENGTHS) {
        const data = randomBytes(n);
        assert.equal(ours(g, [data]), noble(h, [data]), `key ${k}, length ${n}`);
      }
    }
  });

  it('AAD, ciphertext and length block as separate padded segments, as GCM feeds them', () => {
    for (let trial = 0; trial < 200; trial++) {
      const h = randomBytes(16);
      const aad = randomBytes(trial % 30);
      const ct = randomBytes((trial * 37) % 300);
      const lengths = randomBytes(16);
      assert.equal(ours(new CompactGhash(h), [aad, ct, lengths]), noble(h, [aad, ct, lengths]), `trial ${trial}`);
    }
  });

  it('one key over many messages: reset starts afresh', () => {
    const h = randomBytes(16);
    const g = new CompactGhash(h);
    for (let i = 0; i < 100; i++) {
      const segs = [randomBytes(i % 17), randomBytes(i)];
      assert.equal(ours(g, segs), noble(h, segs), `message ${i}`);
    }
  });

  it('edge keys: zero, one, all ones, only the top or bottom bit', () => {
    const keys = ['00'.repeat(16), '80' + '00'.repeat(15), '00'.repeat(15) + '01', 'ff'.repeat(16), '00'.repeat(15) + '80', '01' + '00'.repeat(15)];
    for (const k of keys) {
      const h = fromHex(k);
      for (const n of [0, 1, 16, 17, 64]) {
        const data = randomBytes(n);
        assert.equal(ours(new CompactGhash(h), [data]), noble(h, [data]), `key ${k}, length ${n}`);
      }
    }
  });

  it('inputs at odd byte offsets inside larger buffers (record layer views)', () => {
    const h = randomBytes(16);
    const g = new CompactGhash(h);
    const backing = randomBytes(200);
    for (let offset = 0; offset < 8; offset++) {
      const view = backing.subarray(offset, offset + 100 + offset);
      assert.equal(ours(g, [view]), noble(h, [Uint8Array.from(view)]), `offset ${offset}`);
    }
  });

  it('NIST SP 800-38D / McGrew–Viega test case 2: GHASH(H, {}, C) with H = 66e94bd4ef8a2c3b884cfa59ca342b2e', () => {
    // Test case 2: K = 0^128, P = 0^128; C = 0388dace60b6a392f328c2b971b2fe78, and
    // GHASH(H, A = {}, C) = f38cbb1ad69223dcc3457ae5b6b0f885 (the tag before masking).
    const g = new CompactGhash(fromHex('66e94bd4ef8a2c3b884cfa59ca342b2e'));
    const lengths = fromHex('00000000000000000000000000000080');
    assert.equal(ours(g, [fromHex('0388dace60b6a392f328c2b971b2fe78'), lengths]), 'f38cbb1ad69223dcc3457ae5b6b0f885');
  });

  it('destroy wipes the table, lets go of it and refuses further use', () => {
    const g = new CompactGhash(randomBytes(16));
    g.update(randomBytes(20));
    const table = (g as unknown as { table: Int32Array }).table;
    assert.equal(table.length, 128);
    assert.ok(table.some((w) => w !== 0));
    g.destroy();
    assert.ok(table.every((w) => w === 0), 'the table is wiped');
    assert.equal((g as unknown as { table: Int32Array }).table.length, 0, 'and no longer this key\'s');
    assert.throws(() => g.update(new Uint8Array(1)));
    assert.throws(() => g.digestInto(new Uint8Array(16)));
    g.destroy(); // twice is harmless: the table is not handed out twice
    const a = new CompactGhash(randomBytes(16));
    const b = new CompactGhash(randomBytes(16));
    assert.notEqual((a as unknown as { table: Int32Array }).table, (b as unknown as { table: Int32Array }).table);
  });

  it('keys made as others are destroyed (their wiped tables reused) hash as noble does', () => {
    const live: Array<{ h: Uint8Array; g: CompactGhash }> = [];
    for (let round = 0; round < 300; round++) {
      const h = randomBytes(16);
      live.push({ h, g: new CompactGhash(h) });
      if (round % 3 !== 0) live.splice((round * 5) % live.length, 1)[0]!.g.destroy();
      for (const { h: key, g } of live.slice(-4)) {
        const segments = [randomBytes(round % 40), randomBytes(13)];
        assert.equal(ours(g, segments), noble(key, segments), `round ${round}`);
      }
    }
  });
});
