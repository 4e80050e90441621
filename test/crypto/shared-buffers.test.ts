import assert from 'node:assert/strict';
import { createCipheriv, createHash, createHmac, randomBytes, type CipherGCM } from 'node:crypto';
import { describe, it } from 'mocha';
import { defaultCryptoProvider as crypto } from '../../src/crypto/noble.js';
import type { AeadAlgorithm, HashAlgorithm } from '../../src/crypto/provider.js';
import { hex } from '../helpers/tls-client.js';

/**
 * The noble provider computes MACs, digests and small AES-GCM records in buffers shared by
 * every instance (src/crypto/noble.ts, gcm.ts). These tests interleave instances, sizes and
 * algorithms and check each result against node:crypto, an independent implementation.
 */

function nodeGcm(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): string {
  const cipher = createCipheriv(algorithm, key, nonce) as CipherGCM;
  cipher.setAAD(aad);
  return hex(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
}

describe('shared buffers in the noble provider, against node:crypto', () => {
  it('HMACs under different keys and hashes, interleaved, each as node:crypto computes it', () => {
    const algorithms: HashAlgorithm[] = ['sha256', 'sha384'];
    const keys = [randomBytes(48), randomBytes(32), randomBytes(100)];
    const macs = algorithms.flatMap((a) => keys.map((k) => ({ a, k, mac: crypto.hmac(a, k) })));
    for (let round = 0; round < 20; round++) {
      for (const { a, k, mac } of macs) {
        const parts = [randomBytes(round * 7), randomBytes(13), randomBytes(64 + round)];
        const got = mac.mac(...parts);
        assert.equal(got.length, a === 'sha256' ? 32 : 48);
        assert.equal(hex(got), createHmac(a, k).update(Buffer.concat(parts)).digest('hex'), `${a}, round ${round}`);
      }
    }
  });

  it('a MAC is the caller\'s own copy: later MACs do not change it', () => {
    const mac = crypto.hmac('sha256', randomBytes(32));
    const first = mac.mac(Buffer.from('one'));
    const kept = hex(first);
    mac.mac(Buffer.from('two'));
    crypto.hmac('sha384', randomBytes(48)).mac(Buffer.from('three'));
    assert.equal(hex(first), kept);
  });

  it('running hashes: digests between updates, clones, and two transcripts at once', () => {
    for (const a of ['sha256', 'sha384'] as const) {
      const x = crypto.hash(a);
      const y = crypto.hash(a);
      const nx = createHash(a);
      const ny = createHash(a);
      for (let i = 0; i < 30; i++) {
        const dx = randomBytes(i * 11);
        const dy = randomBytes(200 - i);
        x.update(dx);
        nx.update(dx);
        y.update(dy);
        ny.update(dy);
        const fork = x.clone();
        assert.equal(hex(x.digest()), nx.copy().digest('hex'), `${a} x after ${i}`);
        assert.equal(hex(y.digest()), ny.copy().digest('hex'), `${a} y after ${i}`);
        // A digest leaves its hash running, and a clone runs on by itself.
        fork.update(dy);
        assert.equal(hex(fork.digest()), nx.copy().update(dy).digest('hex'), `${a} fork after ${i}`);
      }
    }
  });

  for (const algorithm of ['aes-128-gcm', 'aes-256-gcm'] as const) {
    it(`${algorithm}: two keys interleaved, lengths around the in-place limit (1 KiB) and a whole record`, () => {
      const keyLength = algorithm === 'aes-128-gcm' ? 16 : 32;
      const keys = [randomBytes(keyLength), randomBytes(keyLength)];
      const aeads = keys.map((k) => crypto.aead(algorithm, k));
      const lengths = [0, 1, 15, 16, 17, 960, 991, 992, 993, 1007, 1008, 1009, 1023, 1024, 1025, 1040, 4096, 16384];
      for (const n of lengths) {
        for (const aadLength of [0, 13, 29]) {
          for (let i = 0; i < 2; i++) {
            const nonce = randomBytes(12);
            const aad = randomBytes(aadLength);
            const plaintext = randomBytes(n);
            const sealed = aeads[i]!.seal(nonce, aad, plaintext);
            assert.equal(hex(sealed), nodeGcm(algorithm, keys[i]!, nonce, aad, plaintext), `seal, length ${n}, aad ${aadLength}, key ${i}`);
            // Open with the other key in between, so nothing carries over from the seal.
            assert.equal(aeads[1 - i]!.open(nonce, aad, sealed), null);
            const opened = aeads[i]!.open(nonce, aad, sealed);
            assert.ok(opened, `open, length ${n}, aad ${aadLength}`);
            assert.equal(hex(opened), hex(plaintext));
          }
        }
      }
    });
  }

  it('an opened small record is the caller\'s own copy', () => {
    const key = randomBytes(16);
    const aead = crypto.aead('aes-128-gcm', key);
    const nonce = randomBytes(12);
    const first = aead.open(nonce, new Uint8Array(0), aead.seal(nonce, new Uint8Array(0), Buffer.from('first record')))!;
    aead.open(nonce, new Uint8Array(0), aead.seal(nonce, new Uint8Array(0), Buffer.from('second record, longer')));
    assert.equal(Buffer.from(first).toString(), 'first record');
  });
});
