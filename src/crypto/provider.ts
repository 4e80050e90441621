/**
 * Everything cryptographic that puretls does goes through one object (after rustls'
 * CryptoProvider), so tests can inject deterministic randomness and other back ends can
 * be plugged in. The default is the noble provider (`noble.ts`).
 */

export type HashAlgorithm = 'sha256' | 'sha384';
export type AeadAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
export type EcdheGroup = 'x25519' | 'secp256r1' | 'secp384r1';
export type EcdsaCurve = 'P-256' | 'P-384';
/**
 * The digest an ECDSA signature is made over: TLS 1.2 lets any hash go with any curve. SHA-1
 * is only ever used to check certificates (OpenSSL's security level decides), never in the
 * handshake (RFC 9155).
 */
export type SignatureHash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** A running hash; `clone()` forks it (the transcript needs digests at several points). */
export interface RunningHash {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
  clone(): RunningHash;
}

/** An HMAC keyed once; `mac()` is reusable because the keyed state is cloned per call. */
export interface KeyedMac {
  readonly outputLength: number;
  mac(...parts: Uint8Array[]): Uint8Array;
  /** Wipes the keyed state (it is the key in another form); the MAC must not be used afterwards. */
  dispose?(): void;
}

/** An AEAD bound to one key. `open` returns null on authentication failure, never throws. */
export interface Aead {
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null;
  /** Wipes the key and everything derived from it; the AEAD must not be used afterwards. */
  dispose?(): void;
}

/** One side of an ephemeral key exchange: used once, then its private key is wiped. */
export interface EphemeralKey {
  /** Our public value as it goes on the wire (uncompressed point or X25519 u-coordinate). */
  readonly publicKey: Uint8Array;
  /**
   * The shared secret (the caller's to wipe), or null if the peer's value is not a valid
   * public key for the group. The private key is wiped either way: a second call gets null.
   */
  agree(peerPublicKey: Uint8Array): Uint8Array | null;
  /** Wipes the private key without using it (a handshake that ended before the key exchange). */
  dispose?(): void;
}

export interface EcdsaSigningKey {
  readonly curve: EcdsaCurve;
  /** DER-encoded ECDSA signature over the digest of `message`. */
  sign(hash: SignatureHash, message: Uint8Array): Uint8Array;
}

export interface CryptoProvider {
  randomBytes(length: number): Uint8Array;
  hash(algorithm: HashAlgorithm): RunningHash;
  hmac(algorithm: HashAlgorithm, key: Uint8Array): KeyedMac;
  aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead;
  generateEphemeralKey(group: EcdheGroup): EphemeralKey;
  ecdsaSigningKey(curve: EcdsaCurve, secret: Uint8Array): EcdsaSigningKey;
  /** Verifies a DER ECDSA signature made over the digest of `message`. */
  ecdsaVerify(curve: EcdsaCurve, publicKey: Uint8Array, hash: SignatureHash, message: Uint8Array, signature: Uint8Array): boolean;
}

/** Constant-time equality for secrets (verify_data, ticket MACs): no early exit. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
