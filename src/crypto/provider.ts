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
  /** The hash is done with: its state may be wiped and reused; it must not be used afterwards. */
  dispose?(): void;
}

/** An HMAC keyed once; `mac()` is reusable because the keyed state is cloned per call. */
export interface KeyedMac {
  readonly outputLength: number;
  mac(...parts: Uint8Array[]): Uint8Array;
  /**
   * Optional: the MAC of `first || second || third` written to `out` from `at`
   * (`outputLength` bytes), with nothing allocated. The PRF uses it when it is there
   * (the pure providers' HMAC-SHA-256 has it), and `mac()` otherwise. `out` is never one
   * of the inputs.
   */
  macInto?(out: Uint8Array, at: number, first: Uint8Array, second?: Uint8Array, third?: Uint8Array): void;
  /** Wipes the keyed state (it is the key in another form); the MAC must not be used afterwards. */
  dispose?(): void;
}

/** The key length of each AEAD (RFC 5288 for AES-GCM, RFC 7905 for ChaCha20-Poly1305). */
export const AEAD_KEY_LENGTH: Readonly<Record<AeadAlgorithm, number>> = { 'aes-128-gcm': 16, 'aes-256-gcm': 32, 'chacha20-poly1305': 32 };

/** Refuses a key of the wrong length for `algorithm` (every provider's `aead` checks the same way). */
export function checkAeadKey(algorithm: AeadAlgorithm, key: Uint8Array): void {
  if (key.length !== AEAD_KEY_LENGTH[algorithm]) throw new RangeError(`${algorithm} needs a ${AEAD_KEY_LENGTH[algorithm]}-byte key`);
}

/** The tag of every AEAD puretls speaks (AES-GCM in TLS, RFC 5288; ChaCha20-Poly1305, RFC 8439 §2.8). */
export const AEAD_TAG_LENGTH = 16;

/**
 * Where an Aead's `seal` writes: the caller's `out`, which must be exactly the plaintext
 * length plus the tag, or a fresh array.
 */
export function sealOutput(algorithm: string, plaintextLength: number, out: Uint8Array | undefined): Uint8Array {
  const length = plaintextLength + AEAD_TAG_LENGTH;
  if (out === undefined) return new Uint8Array(length);
  if (out.length !== length) throw new RangeError(`${algorithm} output must be the plaintext length plus the tag`);
  return out;
}

/** What `Aead.sealDetached` returns: the ciphertext (as long as the plaintext) and the tag. */
export interface DetachedSeal {
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

/** An AEAD bound to one key. `open` returns null on authentication failure, never throws. */
export interface Aead {
  /**
   * The ciphertext followed by the 16-byte tag. Given `out` (exactly plaintext.length + 16
   * bytes, not overlapping `plaintext`), a provider writes there and returns `out`: the
   * record layer passes the fragment of the record it is building, so a record is one
   * allocation and no copy, as OpenSSL seals into its write buffer.
   */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out?: Uint8Array): Uint8Array;
  /**
   * Optional, for a provider whose cipher hands back its output in a buffer of its own
   * (node:crypto's `update`): the same sealing, with the ciphertext and the 16-byte tag as
   * the cipher returned them, not copied into one array. Both are the caller's. The record
   * layer then queues a long record as header, ciphertext and tag, for one gathered write
   * (see RecordLayer.takeOutputPieces), where `seal` into the record would copy the
   * ciphertext once more.
   */
  sealDetached?(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): DetachedSeal;
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

/** The RSA hashes puretls signs and verifies with: no SHA-1 (RFC 9155), no SHA-224. */
export type RsaHash = 'sha256' | 'sha384' | 'sha512';

/**
 * The TLS names of RSA signatures (RFC 8446 §4.2.3, also used by TLS 1.2): PSS with an
 * rsaEncryption key ("rsae"), PSS with an id-RSASSA-PSS key ("pss"), and PKCS#1 v1.5.
 * PSS in TLS always uses MGF1 with the same hash and a salt as long as the hash.
 */
export type RsaSignatureScheme =
  | 'rsa_pss_rsae_sha256' | 'rsa_pss_rsae_sha384' | 'rsa_pss_rsae_sha512'
  | 'rsa_pss_pss_sha256' | 'rsa_pss_pss_sha384' | 'rsa_pss_pss_sha512'
  | 'rsa_pkcs1_sha256' | 'rsa_pkcs1_sha384' | 'rsa_pkcs1_sha512';

/** An RSA signature's encoding (RFC 8017 §9): what a scheme name stands for, or a certificate's RSASSA-PSS parameters. */
export type RsaPadding =
  | { kind: 'pkcs1'; hash: RsaHash }
  | { kind: 'pss'; hash: RsaHash; mgf1Hash: RsaHash; saltLength: number };

export const RSA_SCHEME_PADDING: Readonly<Record<RsaSignatureScheme, RsaPadding>> = {
  rsa_pss_rsae_sha256: { kind: 'pss', hash: 'sha256', mgf1Hash: 'sha256', saltLength: 32 },
  rsa_pss_rsae_sha384: { kind: 'pss', hash: 'sha384', mgf1Hash: 'sha384', saltLength: 48 },
  rsa_pss_rsae_sha512: { kind: 'pss', hash: 'sha512', mgf1Hash: 'sha512', saltLength: 64 },
  rsa_pss_pss_sha256: { kind: 'pss', hash: 'sha256', mgf1Hash: 'sha256', saltLength: 32 },
  rsa_pss_pss_sha384: { kind: 'pss', hash: 'sha384', mgf1Hash: 'sha384', saltLength: 48 },
  rsa_pss_pss_sha512: { kind: 'pss', hash: 'sha512', mgf1Hash: 'sha512', saltLength: 64 },
  rsa_pkcs1_sha256: { kind: 'pkcs1', hash: 'sha256' },
  rsa_pkcs1_sha384: { kind: 'pkcs1', hash: 'sha384' },
  rsa_pkcs1_sha512: { kind: 'pkcs1', hash: 'sha512' },
};

/** An RSA public key as integers (RFC 8017 §3.1). */
export interface RsaPublicKey {
  n: bigint;
  e: bigint;
}

/**
 * An RSA private key with its CRT parameters (RFC 8017 §3.2, first representation plus the
 * second): what a PKCS#1 RSAPrivateKey holds, two primes only.
 */
export interface RsaPrivateKeyParts extends RsaPublicKey {
  d: bigint;
  p: bigint;
  q: bigint;
  /** d mod (p - 1) */
  dp: bigint;
  /** d mod (q - 1) */
  dq: bigint;
  /** q^-1 mod p */
  qInv: bigint;
}

export interface RsaSigningKey {
  /** Modulus size in bits. */
  readonly bits: number;
  /** The signature over `message` (hashed here), as long as the modulus. Throws rather than return a faulty signature. */
  sign(scheme: RsaSignatureScheme, message: Uint8Array): Uint8Array;
}

export type EddsaAlgorithm = 'Ed25519' | 'Ed448';

export interface EddsaSigningKey {
  readonly algorithm: EddsaAlgorithm;
  /** The public key (32 bytes for Ed25519, 57 for Ed448). */
  readonly publicKey: Uint8Array;
  /** PureEdDSA (RFC 8032 §5.1.6, §5.2.6) over the whole message, as TLS uses it (RFC 8422 §5.10). */
  sign(message: Uint8Array): Uint8Array;
}

/** `length` bytes from a cryptographically secure source. */
export type RandomBytes = (length: number) => Uint8Array;

/**
 * Every cryptographic operation puretls uses, behind one interface (rustls' CryptoProvider):
 * the noble provider by default, node:crypto's (puretls/node-crypto) on request, or your own
 * (seeded randomness in tests). The protocol code never calls a library directly.
 */
export interface CryptoProvider {
  /** `length` bytes from a cryptographically secure source (server randoms, session IDs, keys, nonces). */
  randomBytes(length: number): Uint8Array;
  /** A running SHA-2 (or SHA-1, for certificates only) hash: the handshake transcript. */
  hash(algorithm: HashAlgorithm): RunningHash;
  /** HMAC keyed once with `key` (the PRF, tickets); dispose() wipes it. */
  hmac(algorithm: HashAlgorithm, key: Uint8Array): KeyedMac;
  /** An AEAD under `key` (AES-GCM or ChaCha20-Poly1305) for one direction's records. */
  aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead;
  /** A fresh ECDHE key pair on `group`, for one key agreement. */
  generateEphemeralKey(group: EcdheGroup): EphemeralKey;
  /** A signer for the server's ECDSA key (the ServerKeyExchange signature). */
  ecdsaSigningKey(curve: EcdsaCurve, secret: Uint8Array): EcdsaSigningKey;
  /** Verifies a DER ECDSA signature made over the digest of `message`. */
  ecdsaVerify(curve: EcdsaCurve, publicKey: Uint8Array, hash: SignatureHash, message: Uint8Array, signature: Uint8Array): boolean;
  /**
   * A signer for a validated RSA key of 2048 to 4096 bits (pki/keys.ts checks it). Every
   * signature is made with CRT, base and exponent blinding, and verified before it is returned.
   */
  rsaSigningKey(key: RsaPrivateKeyParts): RsaSigningKey;
  /**
   * Verifies an RSA signature over `message`. `publicKey` is a DER RSAPublicKey (the
   * subjectPublicKey of a certificate). False for any malformed input, never throws.
   */
  rsaVerify(publicKey: Uint8Array, padding: RsaSignatureScheme | RsaPadding, message: Uint8Array, signature: Uint8Array): boolean;
  /** An EdDSA signer from the 32-byte (Ed25519) or 57-byte (Ed448) private key of RFC 8032. */
  eddsaSigningKey(algorithm: EddsaAlgorithm, secret: Uint8Array): EddsaSigningKey;
  /** Verifies a PureEdDSA signature (RFC 8032 strict: canonical encodings, no ZIP-215 leniency). */
  eddsaVerify(algorithm: EddsaAlgorithm, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** Constant-time equality for secrets (verify_data, ticket MACs): no early exit. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
