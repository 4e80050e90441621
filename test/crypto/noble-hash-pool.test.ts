import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'mocha';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { releaseHash, takeHash } from '../../src/crypto/noble-hash-pool.js';
import type { HashAlgorithm, RunningHash } from '../../src/crypto/provider.js';
import { hex } from '../helpers/tls-client.js';

/**
 * noble hash objects reused (src/crypto/noble-hash-pool.ts): by the noble provider's running
 * hashes (a handshake's transcript) and its HMAC's keyed states (test/crypto/hmac.test.ts).
 */

const crypto = new NobleCryptoProvider();

describe('noble hash objects, reused once released', () => {
  it('release wipes the state and the block buffer; take starts from the initial state', () => {
    for (const algorithm of ['sha256', 'sha384'] as const satisfies readonly HashAlgorithm[]) {
      const h = takeHash(algorithm);
      h.update(randomBytes(100)); // a full block and a partial one in the buffer
      const inside = h as unknown as { get(): number[]; buffer: Uint8Array };
      assert.ok(inside.get().some((w) => w !== 0) && inside.buffer.some((b) => b !== 0));
      releaseHash(algorithm, h);
      assert.ok(inside.get().every((w) => w === 0), `${algorithm}: state words wiped`);
      assert.ok(inside.buffer.every((b) => b === 0), `${algorithm}: block buffer wiped`);
      const again = takeHash(algorithm);
      assert.equal(again, h, 'the released object is the next one taken');
      const data = randomBytes(77);
      assert.equal(hex(again.update(data).digest()), createHash(algorithm).update(data).digest('hex'));
    }
  });

  it('running hashes made as others are disposed digest as node:crypto does; a disposed one refuses every call', () => {
    const live: Array<{ algorithm: HashAlgorithm; h: RunningHash; reference: ReturnType<typeof createHash> }> = [];
    for (let round = 0; round < 300; round++) {
      const algorithm: HashAlgorithm = round % 4 ? 'sha256' : 'sha384';
      live.push({ algorithm, h: crypto.hash(algorithm), reference: createHash(algorithm) });
      if (round % 2) {
        const [gone] = live.splice((round * 7) % live.length, 1);
        gone!.h.dispose!();
        gone!.h.dispose!(); // twice is harmless: the object is not kept twice
        assert.throws(() => gone!.h.update(new Uint8Array(1)), /after dispose/);
        assert.throws(() => gone!.h.digest(), /after dispose/);
        assert.throws(() => gone!.h.clone(), /after dispose/);
      }
      for (const { h, reference } of live.slice(-4)) {
        const data = randomBytes(round % 150);
        h.update(data);
        reference.update(data);
        assert.equal(hex(h.digest()), reference.copy().digest('hex'), `round ${round}`);
      }
      // A clone runs on from the same state, on an object of its own.
      const { algorithm: a, h, reference } = live[live.length - 1]!;
      const fork = h.clone();
      fork.update(Buffer.from('fork'));
      assert.equal(hex(fork.digest()), reference.copy().update('fork').digest('hex'));
      assert.equal(hex(h.digest()), reference.copy().digest('hex'), `${a}: the original is not moved by its clone`);
      fork.dispose!();
    }
  });
});
