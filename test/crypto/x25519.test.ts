import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes } from 'node:crypto';
import { describe, it } from 'mocha';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import type { EphemeralKey } from '../../src/crypto/provider.js';
import { fromHex, hex } from '../helpers/tls-client.js';

/**
 * The noble provider's X25519 (our limbs, src/crypto/x25519.ts: the Edwards base table for
 * the public key, the ladder for the shared secret) against RFC 7748's vectors,
 * node:crypto (OpenSSL) and noble's own x25519. The arithmetic itself is checked in
 * x25519-limbs.test.ts.
 */

/** An ephemeral key whose secret is exactly `scalar`. */
function keyWithSecret(scalar: Uint8Array): EphemeralKey {
  return new NobleCryptoProvider({ randomBytes: () => Uint8Array.from(scalar) }).generateEphemeralKey('x25519');
}

const SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');

function nodePublic(secret: Uint8Array): string {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8, secret]), format: 'der', type: 'pkcs8' });
  return hex(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI.length));
}

function nodeShared(secret: Uint8Array, peer: Uint8Array): string {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8, secret]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey({ key: Buffer.concat([SPKI, peer]), format: 'der', type: 'spki' });
  return hex(diffieHellman({ privateKey, publicKey }));
}

describe('X25519 in the noble provider', () => {
  it('RFC 7748 §5.2: the two scalar × u-coordinate vectors', () => {
    const vectors = [
      ['a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4', 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c', 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552'],
      ['4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d', 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493', '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957'],
    ] as const;
    for (const [scalar, u, out] of vectors) assert.equal(hex(keyWithSecret(fromHex(scalar)).agree(fromHex(u))!), out);
  });

  it('RFC 7748 §5.2: 1 and 1000 iterations of k, u = X25519(k, u), k', () => {
    let k: Uint8Array = new Uint8Array(32);
    k[0] = 9;
    let u: Uint8Array = Uint8Array.from(k);
    const after: Record<number, string> = {};
    for (let i = 1; i <= 1000; i++) {
      const next = keyWithSecret(k).agree(u)!;
      u = k;
      k = next;
      if (i === 1 || i === 1000) after[i] = hex(k);
    }
    assert.equal(after[1], '422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
    assert.equal(after[1000], '684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
  });

  it('RFC 7748 §6.1: Alice and Bob get each other\'s public keys and the same shared secret', () => {
    const alice = keyWithSecret(fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    const bob = keyWithSecret(fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
    assert.equal(hex(alice.publicKey), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    assert.equal(hex(bob.publicKey), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    assert.equal(hex(alice.agree(bob.publicKey)!), shared);
    assert.equal(hex(bob.agree(alice.publicKey)!), shared);
  });

  it('public keys and shared secrets equal node:crypto\'s (OpenSSL) and noble\'s on 100 random key pairs', () => {
    for (let i = 0; i < 100; i++) {
      const secret = randomBytes(32);
      const peerSecret = randomBytes(32);
      const key = keyWithSecret(secret);
      const peer = nobleX25519.getPublicKey(peerSecret);
      assert.equal(hex(key.publicKey), nodePublic(secret), `public key ${i}`);
      assert.equal(hex(key.publicKey), hex(nobleX25519.getPublicKey(secret)), `public key ${i} (noble)`);
      const shared = hex(key.agree(peer)!);
      assert.equal(shared, nodeShared(secret, peer), `shared secret ${i}`);
      assert.equal(shared, hex(nobleX25519.getSharedSecret(secret, peer)), `shared secret ${i} (noble)`);
    }
  });

  it('a u-coordinate with the top bit set, or not reduced mod p, is taken as RFC 7748 §5 says (as OpenSSL does)', () => {
    for (let i = 0; i < 20; i++) {
      const secret = randomBytes(32);
      const peer = nobleX25519.getPublicKey(randomBytes(32));
      peer[31]! |= 0x80; // the top bit is masked
      assert.equal(hex(keyWithSecret(secret).agree(peer)!), nodeShared(secret, peer), `top bit, ${i}`);
    }
    // p + 2 .. p + 18 (non-canonical encodings of 2..18) are reduced.
    for (let small = 2; small < 19; small++) {
      const u = fromHex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
      u[0] = 0xed + small;
      const secret = randomBytes(32);
      assert.equal(hex(keyWithSecret(secret).agree(u) ?? new Uint8Array(0)), nodeShared(secret, u), `p + ${small}`);
    }
  });

  it('low-order peer values give no secret (all-zero result, RFC 7748 §6.1), and so does a wrong length', () => {
    const lowOrder = [
      '0000000000000000000000000000000000000000000000000000000000000000', // 0
      '0100000000000000000000000000000000000000000000000000000000000000', // 1
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p - 1
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 1
    ];
    for (const u of lowOrder) {
      const key = keyWithSecret(randomBytes(32));
      assert.equal(key.agree(fromHex(u)), null, u);
      assert.throws(() => nodeShared(randomBytes(32), fromHex(u)), `OpenSSL refuses ${u} too`);
    }
    const key = keyWithSecret(randomBytes(32));
    assert.equal(key.agree(new Uint8Array(31)), null);
    assert.equal(key.agree(new Uint8Array(33)), null);
  });
});
