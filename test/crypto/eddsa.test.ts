/**
 * Ed25519 and Ed448 (RFC 8032) through the noble provider, against node:crypto (OpenSSL):
 * our signatures verify there, theirs verify here, and RFC 8032's strict checks hold.
 */
import assert from 'node:assert/strict';
import nodeCrypto from 'node:crypto';
import { describe, it } from 'mocha';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import type { EddsaAlgorithm } from '../../src/crypto/provider.js';
import { bigIntToBytes, bytesToBigInt } from '../../src/crypto/rsa.js';

const provider = new NobleCryptoProvider();

/** The group order L of each curve (RFC 8032 §5.1, §5.2). */
const ORDER: Readonly<Record<EddsaAlgorithm, bigint>> = {
  Ed25519: 2n ** 252n + 27742317777372353535851937790883648493n,
  Ed448: 2n ** 446n - 13818066809895115352007386748515426880336692474882178609894547503885n,
};

/** S is the second half of a signature, little-endian. */
function withS(signature: Uint8Array, s: bigint): Uint8Array {
  const half = signature.length / 2;
  const out = Uint8Array.from(signature);
  out.set(bigIntToBytes(s, half).reverse(), half);
  return out;
}

for (const [algorithm, nodeName] of [['Ed25519', 'ed25519'], ['Ed448', 'ed448']] as const) {
  describe(`crypto/eddsa: ${algorithm} against node:crypto`, () => {
    const { privateKey, publicKey } = nodeCrypto.generateKeyPairSync(nodeName as 'ed25519');
    const jwk = privateKey.export({ format: 'jwk' });
    const secret = new Uint8Array(Buffer.from(jwk.d!, 'base64url'));
    const raw = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));

    it('our signatures verify with node:crypto, and node:crypto\'s with ours, over messages of several lengths', () => {
      const signer = provider.eddsaSigningKey(algorithm, secret);
      assert.deepEqual(signer.publicKey, raw);
      for (const length of [0, 1, 64, 1000]) {
        const message = nodeCrypto.randomBytes(length);
        const ours = signer.sign(message);
        assert.equal(nodeCrypto.verify(null, message, publicKey, ours), true, `length ${length}`);
        // EdDSA is deterministic: the same signature as OpenSSL's.
        const theirs = new Uint8Array(nodeCrypto.sign(null, message, privateKey));
        assert.deepEqual(ours, theirs);
        assert.equal(provider.eddsaVerify(algorithm, raw, message, theirs), true);
      }
    });

    it('refuses a changed message, signature or key, and malformed lengths, without throwing', () => {
      const message = new TextEncoder().encode('message');
      const sig = new Uint8Array(nodeCrypto.sign(null, message, privateKey));
      assert.equal(provider.eddsaVerify(algorithm, raw, new TextEncoder().encode('messagf'), sig), false);
      for (const at of [0, sig.length / 2, sig.length - 1]) {
        const bad = Uint8Array.from(sig);
        bad[at]! ^= 1;
        assert.equal(provider.eddsaVerify(algorithm, raw, message, bad), false, `flip at ${at}`);
      }
      const other = new Uint8Array(Buffer.from(nodeCrypto.generateKeyPairSync(nodeName as 'ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url'));
      assert.equal(provider.eddsaVerify(algorithm, other, message, sig), false);
      assert.equal(provider.eddsaVerify(algorithm, raw.subarray(1), message, sig), false);
      assert.equal(provider.eddsaVerify(algorithm, raw, message, sig.subarray(1)), false);
      assert.throws(() => provider.eddsaSigningKey(algorithm, secret.subarray(1)), RangeError);
    });

    it('a signature with S + L (a non-canonical S, RFC 8032 §5.1.7) is refused, as OpenSSL refuses it', () => {
      const message = new Uint8Array(8);
      const sig = new Uint8Array(nodeCrypto.sign(null, message, privateKey));
      const half = sig.length / 2;
      const s = bytesToBigInt(Uint8Array.from(sig.subarray(half)).reverse());
      // S < L < 2^253 (Ed25519) or 2^446 (Ed448), so S + L always fits the 32 or 57 bytes of S.
      assert.ok(s + ORDER[algorithm] < 1n << BigInt(8 * half), 'S + L fits the encoding');
      const malleated = withS(sig, s + ORDER[algorithm]);
      assert.equal(nodeCrypto.verify(null, message, publicKey, malleated), false);
      assert.equal(provider.eddsaVerify(algorithm, raw, message, malleated), false);
    });
  });
}
