import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { AesGcm } from './gcm.js';
import { keyedHmac } from './hmac.js';
import { pooledRandom } from './random-pool.js';
import { runningHash } from './running-hash.js';
import { x25519, x25519Base } from './x25519.js';
import type {
  Aead,
  AeadAlgorithm,
  CryptoProvider,
  EcdheGroup,
  EcdsaCurve,
  EcdsaSigningKey,
  EddsaAlgorithm,
  EddsaSigningKey,
  EphemeralKey,
  HashAlgorithm,
  KeyedMac,
  RandomBytes,
  RsaPadding,
  RsaPrivateKeyParts,
  RsaSignatureScheme,
  RsaSigningKey,
  RunningHash,
  SignatureHash,
} from './provider.js';
import { checkAeadKey } from './provider.js';
import { RsaCrtSigner, decodeRsaPublicKey, paddingOf, rsaVerify } from './rsa.js';

const SIGNATURE_HASHES = { sha1, sha224, sha256, sha384, sha512 } as const;
const CURVES = { 'P-256': p256, 'P-384': p384 } as const;
const EDDSA = { Ed25519: ed25519, Ed448: ed448 } as const;
/** RFC 8032 key sizes: the secret and the public key are the same length. */
const EDDSA_KEY_LENGTH: Readonly<Record<EddsaAlgorithm, number>> = { Ed25519: 32, Ed448: 57 };

/** ChaCha20-Poly1305 (RFC 8439) through noble's one-shot API. */
class NobleChaCha20Poly1305 implements Aead {
  private readonly key: Uint8Array;
  private disposed = false;
  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError('chacha20-poly1305 needs a 32-byte key');
    this.key = key.slice(); // ours to wipe
  }
  dispose(): void {
    this.disposed = true;
    this.key.fill(0);
  }
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out?: Uint8Array): Uint8Array {
    if (this.disposed) throw new Error('chacha20-poly1305 key used after dispose');
    return chacha20poly1305(this.key, nonce, aad).encrypt(plaintext, out);
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    if (this.disposed) throw new Error('chacha20-poly1305 key used after dispose');
    if (ciphertextAndTag.length < 16) return null;
    try {
      return chacha20poly1305(this.key, nonce, aad).decrypt(ciphertextAndTag);
    } catch {
      return null; // tag mismatch: noble throws, callers want a value
    }
  }
}


const widened = new Set<EcdsaCurve>();

/**
 * A server signs every full handshake with its certificate's key, and makes an ECDHE key
 * on P-256 or P-384 when the client asks for one: each is a multiplication of the fixed
 * base point. noble keeps a table for it with 6-bit windows; 8-bit windows make each one
 * 18-24% faster (P-256: 438 -> 361 µs, P-384: 826 -> 631 µs) for 0.9 MiB (P-256) or
 * 1.5 MiB (P-384), built once per process on first use in 110-150 ms. 10-bit windows would
 * gain another 13-14% for 3.0-4.8 MiB and 280-550 ms (bench/results/primitives.md). A table
 * for a client's public key never pays: it is used once.
 */
function widenBaseTable(curve: EcdsaCurve): void {
  if (widened.has(curve)) return;
  widened.add(curve);
  CURVES[curve].Point.BASE.precompute(8, true);
}

/** An ephemeral key whose private scalar is used by one agreement at most, then wiped. */
function singleUseKey(secret: Uint8Array, publicKey: Uint8Array, agree: (secret: Uint8Array, peer: Uint8Array) => Uint8Array | null): EphemeralKey {
  let used = false;
  const dispose = (): void => {
    used = true;
    secret.fill(0);
  };
  return {
    publicKey,
    agree(peer) {
      if (used) return null;
      try {
        return agree(secret, peer);
      } finally {
        dispose();
      }
    },
    dispose,
  };
}

/**
 * X25519 (RFC 7748) on our limbs (x25519.ts): the public key from the Edwards base-point
 * table, the shared secret by the ladder. Not noble's BigInt arithmetic: several times as
 * fast, a few KB allocated instead of about 1 MB per key exchange, and constant-time by
 * construction (no branch or index depends on the secret). The figures are in the README
 * ("X25519").
 */
function x25519Key(random: RandomBytes): EphemeralKey {
  // RFC 7748 §5: any 32 bytes are a scalar; x25519 clamps a copy of it.
  const secret = random(32);
  return singleUseKey(secret, x25519Base(secret), (s, peer) => {
    if (peer.length !== 32) return null;
    const shared = x25519(s, peer);
    // RFC 7748 §6.1, RFC 8422 §5.11: an all-zero result means a low-order peer value; refuse it.
    let any = 0;
    for (let i = 0; i < 32; i++) any |= shared[i]!;
    return any === 0 ? null : shared;
  });
}

function nistKey(curve: typeof p256 | typeof p384, coordinateLength: number, random: RandomBytes): EphemeralKey {
  // noble reduces a seed half again as long as the order into a uniform scalar (FIPS 186-5 A.2.1).
  const seed = random(curve.lengths.seed!);
  const secret = curve.utils.randomSecretKey(seed);
  seed.fill(0);
  return singleUseKey(secret, curve.getPublicKey(secret, false), (s, peer) => {
    // RFC 8422 §5.1.2: uncompressed points only.
    if (peer.length !== 1 + 2 * coordinateLength || peer[0] !== 0x04) return null;
    let point: Uint8Array;
    try {
      point = curve.getSharedSecret(s, peer, true);
    } catch {
      return null; // not on the curve
    }
    // The premaster secret is the x coordinate of the shared point (RFC 8422 §5.10), in an
    // array of its own so that the caller's wipe reaches every byte of it.
    const x = point.slice(1);
    point.fill(0);
    return x;
  });
}

/** The OS CSPRNG (crypto.getRandomValues, through noble), pooled (random-pool.ts). */
export function pooledRandomBytes(poolSize = 4096): RandomBytes {
  return pooledRandom((out) => {
    const fresh = randomBytes(out.length);
    out.set(fresh);
    fresh.fill(0); // the pool holds the only copy
  }, poolSize);
}

/** Options of the default provider. */
export interface NobleCryptoProviderOptions {
  /** Source of randomness (server randoms, session IDs, ephemeral keys). Default: the OS CSPRNG. */
  randomBytes?: RandomBytes;
}

/**
 * The default CryptoProvider: audited JavaScript (@noble/curves, @noble/hashes,
 * @noble/ciphers) with our GHASH, HMAC and X25519; no native code.
 */
export class NobleCryptoProvider implements CryptoProvider {
  private readonly random: RandomBytes;

  constructor(options: NobleCryptoProviderOptions = {}) {
    this.random = options.randomBytes ?? pooledRandomBytes();
  }

  randomBytes(length: number): Uint8Array {
    return this.random(length);
  }

  hash(algorithm: HashAlgorithm): RunningHash {
    return runningHash(algorithm);
  }

  hmac(algorithm: HashAlgorithm, key: Uint8Array): KeyedMac {
    return keyedHmac(algorithm, key); // hmac.ts: keyed once, nothing allocated per MAC for SHA-256
  }

  aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
    // AES-GCM keeps its key schedule per key (see gcm.ts); ChaCha20-Poly1305 derives a
    // fresh Poly1305 key per nonce anyway, so noble's one-shot API costs nothing extra.
    checkAeadKey(algorithm, key);
    if (algorithm === 'chacha20-poly1305') return new NobleChaCha20Poly1305(key);
    return new AesGcm(key);
  }

  generateEphemeralKey(group: EcdheGroup): EphemeralKey {
    switch (group) {
      case 'x25519':
        return x25519Key(this.random);
      case 'secp256r1':
        widenBaseTable('P-256');
        return nistKey(p256, 32, this.random);
      case 'secp384r1':
        widenBaseTable('P-384');
        return nistKey(p384, 48, this.random);
    }
  }

  ecdsaSigningKey(curve: EcdsaCurve, secret: Uint8Array): EcdsaSigningKey {
    const impl = CURVES[curve];
    widenBaseTable(curve);
    return {
      curve,
      sign(hash: SignatureHash, message: Uint8Array): Uint8Array {
        const digest = SIGNATURE_HASHES[hash](message);
        return impl.sign(digest, secret, { prehash: false, format: 'der', lowS: false });
      },
    };
  }

  ecdsaVerify(curve: EcdsaCurve, publicKey: Uint8Array, hash: SignatureHash, message: Uint8Array, signature: Uint8Array): boolean {
    try {
      const digest = SIGNATURE_HASHES[hash](message);
      return CURVES[curve].verify(signature, digest, publicKey, { prehash: false, format: 'der', lowS: false });
    } catch {
      return false;
    }
  }

  rsaSigningKey(key: RsaPrivateKeyParts): RsaSigningKey {
    // Salts, blinding factors and exponent multiples come from the provider's random source.
    return new RsaCrtSigner(key, this.random);
  }

  rsaVerify(publicKey: Uint8Array, padding: RsaSignatureScheme | RsaPadding, message: Uint8Array, signature: Uint8Array): boolean {
    try {
      const params = paddingOf(padding);
      return params !== undefined && rsaVerify(decodeRsaPublicKey(publicKey), params, message, signature);
    } catch {
      return false; // a public key that is not DER
    }
  }

  eddsaSigningKey(algorithm: EddsaAlgorithm, secret: Uint8Array): EddsaSigningKey {
    const impl = EDDSA[algorithm];
    if (secret.length !== EDDSA_KEY_LENGTH[algorithm]) throw new RangeError(`an ${algorithm} private key is ${EDDSA_KEY_LENGTH[algorithm]} bytes`);
    const key = secret.slice();
    return {
      algorithm,
      publicKey: impl.getPublicKey(key),
      sign: (message: Uint8Array): Uint8Array => impl.sign(message, key),
    };
  }

  eddsaVerify(algorithm: EddsaAlgorithm, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    try {
      // zip215: false is RFC 8032's strict verification, as OpenSSL does it (no non-canonical points or S).
      return EDDSA[algorithm].verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  }
}

/** The provider a TlsContext uses unless given one: a NobleCryptoProvider with the OS's randomness. */
export const defaultCryptoProvider: CryptoProvider = new NobleCryptoProvider();
