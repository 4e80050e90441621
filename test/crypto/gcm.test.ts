import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'mocha';
import { AesGcm } from '../../src/crypto/gcm.js';
import { hex } from '../helpers/tls-client.js';

/**
 * AesGcm's round keys are kept for the next key when a key is disposed (gcm.ts, as the
 * GHASH tables in ghash.ts): wiped first, never shared by two live keys, and a key made
 * from a reused array seals as OpenSSL does. The AEAD itself is tested against node:crypto
 * and the GCM vectors in test/vectors/aead.test.ts.
 */

const roundKeys = (g: AesGcm): Uint32Array => (g as unknown as { xk: Uint32Array }).xk;

function openssl(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): string {
  const algorithm = key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
  const c = createCipheriv(algorithm, key, nonce, { authTagLength: 16 });
  c.setAAD(aad);
  return hex(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
}

describe('AesGcm: round keys reused between keys', () => {
  it('dispose wipes the round keys, lets go of them, and refuses further use; twice is harmless', () => {
    for (const length of [16, 32]) {
      const g = new AesGcm(randomBytes(length));
      const xk = roundKeys(g);
      assert.equal(xk.length, length + 28);
      assert.ok(xk.some((w) => w !== 0));
      g.dispose();
      assert.ok(xk.every((w) => w === 0), `AES-${length * 8}: the round keys are wiped`);
      assert.equal(roundKeys(g).length, 0, 'and no longer this key\'s');
      assert.throws(() => g.seal(new Uint8Array(12), new Uint8Array(13), new Uint8Array(1)));
      assert.throws(() => g.open(new Uint8Array(12), new Uint8Array(13), new Uint8Array(17)));
      g.dispose(); // not handed out twice
      const a = new AesGcm(randomBytes(length));
      const b = new AesGcm(randomBytes(length));
      assert.notEqual(roundKeys(a), roundKeys(b));
      assert.equal(roundKeys(a), xk, 'the wiped array serves the next key of the same size');
      a.dispose();
      b.dispose();
    }
  });

  it('keys made as others are disposed, AES-128 and AES-256 interleaved, seal and open as OpenSSL does', () => {
    const live: Array<{ key: Uint8Array; g: AesGcm }> = [];
    for (let round = 0; round < 300; round++) {
      const key = new Uint8Array(randomBytes(round % 2 ? 16 : 32));
      live.push({ key, g: new AesGcm(key) });
      if (round % 3 !== 0) live.splice((round * 5) % live.length, 1)[0]!.g.dispose();
      for (const { key: k, g } of live.slice(-4)) {
        const nonce = new Uint8Array(randomBytes(12));
        const aad = new Uint8Array(randomBytes(13));
        const plaintext = new Uint8Array(randomBytes((round * 37) % 1200));
        const sealed = g.seal(nonce, aad, plaintext);
        assert.equal(hex(sealed), openssl(k, nonce, aad, plaintext), `round ${round}`);
        assert.equal(hex(g.open(nonce, aad, sealed)!), hex(plaintext), `round ${round}: open`);
      }
    }
  });
});
