/**
 * `puretls/node-crypto`: a CryptoProvider on node:crypto, for Node users who want
 * OpenSSL's speed and not purity. The protocol code is the same; only the primitives
 * change: X25519, P-256 and P-384 ECDHE, ECDSA, RSA, AES-GCM and ChaCha20-Poly1305 come
 * from OpenSSL through node:crypto. The handshake's SHA-2 and HMAC stay in JavaScript
 * (SHA-256 on sha256.ts, SHA-384 on noble, as in the default provider) unless
 * `hashing: 'openssl'` is given: measured over sockets, that is 7–10% less server CPU per
 * handshake (node:crypto makes a native object per hash or MAC, and each must be collected).
 * For the same reason AES-GCM records of up to 256 bytes go to puretls's own AES-GCM
 * unless `smallRecords: 'openssl'` is given.
 *
 * ```ts
 * import { createServer } from 'puretls';
 * import { NodeCryptoProvider } from 'puretls/node-crypto';
 * createServer({ key, cert, context: ... }) // or new TlsContext({ key, cert, crypto: new NodeCryptoProvider() })
 * ```
 *
 * The core never imports this file (it stays free of `node:*`); the default provider stays
 * the pure noble one. Every operation is checked against the noble provider on the same
 * inputs in test/node/node-crypto.test.ts.
 *
 * Ephemeral keys are made from the provider's own random source (32 bytes for X25519, a
 * seed half again as long as the order for P-256 and P-384, reduced as FIPS 186-5 A.2.1
 * and noble do), so seeded randomness gives the same keys as the noble provider. ECDSA
 * signatures are OpenSSL's (random k), not RFC 6979's: they verify the same but differ.
 */
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  ECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  diffieHellman,
  randomFillSync,
  constants as cryptoConstants,
  sign as nodeSign,
  verify as nodeVerify,
  type CipherGCMTypes,
  type Hash,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { copyBytes } from '../codec/bytes.js';
import { TlsConfigError } from '../errors.js';
import type {
  Aead,
  AeadAlgorithm,
  CryptoProvider,
  DetachedSeal,
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
} from '../crypto/provider.js';
import { AEAD_TAG_LENGTH, RSA_SCHEME_PADDING, checkAeadKey, sealOutput } from '../crypto/provider.js';
import { AesGcm } from '../crypto/gcm.js';
import { keyedHmac } from '../crypto/hmac.js';
import { defaultCryptoProvider } from '../crypto/noble.js';
import { runningHash } from '../crypto/running-hash.js';
import { pooledRandom } from '../crypto/random-pool.js';


const TAG_LENGTH = AEAD_TAG_LENGTH;

/** A Buffer's bytes as a plain Uint8Array of their own (a Buffer's `slice` is a view, the core expects a copy). */
function own(b: Buffer): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}


class NodeRunningHash implements RunningHash {
  constructor(private readonly state: Hash) {}
  update(data: Uint8Array): void {
    this.state.update(data);
  }
  digest(): Uint8Array {
    // A node Hash is finalised by digest(): take it from a copy and keep this one running.
    return own(this.state.copy().digest());
  }
  clone(): RunningHash {
    return new NodeRunningHash(this.state.copy());
  }
}

/**
 * HMAC through OpenSSL, an Hmac object per MAC: node's Hash objects can be copied but
 * each copy costs a native call, and keying a fresh Hmac measured faster (2.2 µs per
 * PRF-sized MAC against 4.1 µs for copies of keyed inner and outer hashes).
 */
class NodeKeyedMac implements KeyedMac {
  readonly outputLength: number;
  private readonly key: Uint8Array;
  constructor(
    private readonly algorithm: HashAlgorithm,
    key: Uint8Array,
  ) {
    this.key = copyBytes(key); // not key.slice(): on a Buffer that is a view
    this.outputLength = algorithm === 'sha256' ? 32 : 48;
  }
  mac(...parts: Uint8Array[]): Uint8Array {
    const h = createHmac(this.algorithm, this.key);
    for (const p of parts) h.update(p);
    return own(h.digest());
  }
}

/**
 * AES-GCM and ChaCha20-Poly1305 through OpenSSL. node:crypto makes a cipher object per
 * message; the key is held once in a KeyObject (native memory that node frees when the
 * KeyObject is collected; JavaScript cannot wipe it, so `dispose` only lets go of it).
 */
class NodeAead implements Aead {
  private key: KeyObject | undefined;
  constructor(
    private readonly algorithm: AeadAlgorithm,
    key: Uint8Array,
  ) {
    this.key = createSecretKey(key);
  }

  private live(): KeyObject {
    if (!this.key) throw new Error(`${this.algorithm} key used after dispose`);
    return this.key;
  }

  /** node:crypto has no output argument: `update` makes a buffer, copied once into `out`. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, into?: Uint8Array): Uint8Array {
    const out = sealOutput(this.algorithm, plaintext.length, into);
    const { ciphertext, tag } = this.sealDetached(nonce, aad, plaintext);
    out.set(ciphertext);
    out.set(tag, ciphertext.length);
    return out;
  }

  /** node's own buffers from `update` and `getAuthTag`, uncopied (a long record is sent as they are). */
  sealDetached(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): DetachedSeal {
    const cipher = createCipheriv(this.algorithm as CipherGCMTypes, this.live(), nonce, { authTagLength: TAG_LENGTH });
    cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const body = cipher.update(plaintext);
    const rest = cipher.final(); // empty for these stream modes, kept for correctness
    const ciphertext = rest.length === 0 ? body : Buffer.concat([body, rest]);
    return { ciphertext, tag: cipher.getAuthTag() };
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    const key = this.live();
    if (ciphertextAndTag.length < TAG_LENGTH) return null;
    const n = ciphertextAndTag.length - TAG_LENGTH;
    try {
      const decipher = createDecipheriv(this.algorithm as CipherGCMTypes, key, nonce, { authTagLength: TAG_LENGTH });
      decipher.setAuthTag(ciphertextAndTag.subarray(n));
      decipher.setAAD(aad, { plaintextLength: n });
      const body = decipher.update(ciphertextAndTag.subarray(0, n));
      try {
        decipher.final(); // throws when the tag does not verify
      } catch {
        body.fill(0); // unauthenticated plaintext goes nowhere
        return null;
      }
      // update's Buffer is node's own allocation of exactly n bytes: the caller's as it is.
      // The copy it replaces cost 8–10 µs per 16 KiB record in process (23.9–27.0 against
      // 15.5–16.7 µs, `node dist/bench/primitives.js records --baseline=DIR`).
      return body;
    } catch {
      return null;
    }
  }

  dispose(): void {
    this.key = undefined;
  }
}

/**
 * AES-GCM records of at most this many bytes go to puretls's AES-GCM (gcm.ts) by default.
 * Measured one record at a time (µs per seal, node:crypto's Cipheriv against gcm.ts):
 * 16 bytes 4.5 against 2.4, 100 bytes 5.2 against 3.4, 256 bytes 8.4 against 6.0, 512
 * bytes 8.7 against 10.2.
 */
const SMALL_AES_GCM_RECORD = 256;

/**
 * AES-GCM split by record size: handshake-sized records (Finished, alerts, short writes) on
 * gcm.ts, where a node:crypto cipher object costs more than the record; longer ones on
 * OpenSSL. The KeyObject is made for the first long record: a connection that only
 * handshakes never makes one. Until then a copy of the key waits here, wiped when the
 * KeyObject is made or the key disposed.
 */
class SplitAesGcm implements Aead {
  private readonly small: AesGcm;
  private large: NodeAead | undefined;
  private pendingKey: Uint8Array | undefined;

  constructor(
    private readonly algorithm: 'aes-128-gcm' | 'aes-256-gcm',
    key: Uint8Array,
  ) {
    this.small = new AesGcm(key);
    this.pendingKey = copyBytes(key);
  }

  private openssl(): NodeAead {
    if (this.large) return this.large;
    if (!this.pendingKey) throw new Error(`${this.algorithm} key used after dispose`);
    this.large = new NodeAead(this.algorithm, this.pendingKey);
    this.pendingKey.fill(0);
    this.pendingKey = undefined;
    return this.large;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out?: Uint8Array): Uint8Array {
    if (plaintext.length <= SMALL_AES_GCM_RECORD) return this.small.seal(nonce, aad, plaintext, out);
    return this.openssl().seal(nonce, aad, plaintext, out);
  }

  sealDetached(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): DetachedSeal {
    if (plaintext.length > SMALL_AES_GCM_RECORD) return this.openssl().sealDetached(nonce, aad, plaintext);
    const sealed = this.small.seal(nonce, aad, plaintext);
    return { ciphertext: sealed.subarray(0, plaintext.length), tag: sealed.subarray(plaintext.length) };
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    if (ciphertextAndTag.length <= SMALL_AES_GCM_RECORD + TAG_LENGTH) return this.small.open(nonce, aad, ciphertextAndTag);
    return this.openssl().open(nonce, aad, ciphertextAndTag);
  }

  dispose(): void {
    this.small.dispose();
    this.large?.dispose();
    this.pendingKey?.fill(0);
    this.pendingKey = undefined;
  }
}

const b64url = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');

/*
 * Keys go into OpenSSL as JWKs: node imports a JWK's raw key bytes directly, where a DER
 * key goes through OpenSSL 3's decoder search, which costs about ten times more (PKCS#8
 * X25519 private key: 410 µs against 36 µs; SPKI public key: 90 µs against 8 µs).
 */

function x25519Key(random: RandomBytes): EphemeralKey {
  // RFC 7748 §5: any 32 bytes are a scalar; OpenSSL clamps as the RFC says.
  const secret = random(32);
  // node builds an OKP private key from `d` alone (EVP_PKEY_new_raw_private_key) and
  // derives the public key itself; `x` must be a string but is not used.
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(secret), x: '' }, format: 'jwk' });
  secret.fill(0);
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x!;
  return singleUse(own(Buffer.from(x, 'base64url')), (peer) => {
    if (peer.length !== 32) return null;
    try {
      const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(peer) }, format: 'jwk' });
      // OpenSSL refuses an all-zero result (a low-order peer value), as noble does.
      return own(diffieHellman({ privateKey, publicKey }));
    } catch {
      return null;
    }
  });
}

/**
 * An ephemeral key used by one agreement at most, as the noble provider's: after it (or
 * dispose) the private key is dropped. OpenSSL holds it in memory we cannot wipe from here;
 * it is freed with the KeyObject.
 */
function singleUse(publicKey: Uint8Array, agree: (peer: Uint8Array) => Uint8Array | null): EphemeralKey {
  let run: ((peer: Uint8Array) => Uint8Array | null) | undefined = agree;
  const dispose = (): void => {
    run = undefined;
  };
  return {
    publicKey,
    agree(peer) {
      const once = run;
      dispose();
      return once ? once(peer) : null;
    },
    dispose,
  };
}

interface NistCurve {
  /** OpenSSL's name for createECDH. */
  ecdh: string;
  /** JWK crv. */
  jwk: 'P-256' | 'P-384';
  coordinateLength: number;
  order: bigint;
}

const NIST: Record<EcdsaCurve, NistCurve> = {
  'P-256': {
    ecdh: 'prime256v1',
    jwk: 'P-256',
    coordinateLength: 32,
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  'P-384': {
    ecdh: 'secp384r1',
    jwk: 'P-384',
    coordinateLength: 48,
    order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
};

const GROUP_CURVE: Record<Exclude<EcdheGroup, 'x25519'>, EcdsaCurve> = { secp256r1: 'P-256', secp384r1: 'P-384' };

/**
 * A private scalar in [1, n-1] from a seed half again as long as the order (FIPS 186-5
 * A.2.1, "extra random bits": at least 64 are required): seed mod (n - 1) + 1, as noble's
 * randomSecretKey (mapHashToField) does.
 */
function scalarFromSeed(curve: NistCurve, seed: Uint8Array): Buffer {
  let v = 0n;
  for (const b of seed) v = (v << 8n) | BigInt(b);
  v = (v % (curve.order - 1n)) + 1n;
  const out = Buffer.alloc(curve.coordinateLength);
  for (let i = out.length - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

function nistKey(curve: NistCurve, random: RandomBytes): EphemeralKey {
  const seed = random(curve.coordinateLength + curve.coordinateLength / 2);
  const scalar = scalarFromSeed(curve, seed);
  seed.fill(0);
  const ecdh = createECDH(curve.ecdh);
  ecdh.setPrivateKey(scalar);
  scalar.fill(0);
  return singleUse(own(ecdh.getPublicKey()), (peer) => {
    // RFC 8422 §5.1.2: uncompressed points only (OpenSSL would take compressed ones too).
    if (peer.length !== 1 + 2 * curve.coordinateLength || peer[0] !== 0x04) return null;
    try {
      // The premaster secret is the x coordinate of the shared point (RFC 8422 §5.10), which is what ECDH_compute_key gives.
      return own(ecdh.computeSecret(peer));
    } catch {
      return null; // not on the curve
    }
  });
}

/** An EC key as a JWK: the public point's coordinates, and the scalar of a private key. */
function ecJwk(curve: NistCurve, uncompressedPoint: Uint8Array, secret?: Uint8Array): JsonWebKey {
  const n = curve.coordinateLength;
  const jwk: JsonWebKey = { kty: 'EC', crv: curve.jwk, x: b64url(uncompressedPoint.subarray(1, 1 + n)), y: b64url(uncompressedPoint.subarray(1 + n)) };
  if (secret) jwk.d = b64url(secret);
  return jwk;
}

/** Options of the node:crypto provider. */
export interface NodeCryptoProviderOptions {
  /** Source of randomness (server randoms, session IDs, ephemeral keys). Default: OpenSSL's RAND_bytes. */
  randomBytes?: RandomBytes;
  /**
   * Where the handshake's hashes and HMACs (transcript, PRF, Finished, tickets) run:
   * 'javascript' (default), as in the default provider (SHA-256 on sha256.ts, SHA-384 on
   * noble), or 'openssl', through
   * node:crypto's createHash and createHmac. Their inputs are handshake-sized, and a
   * node:crypto Hash or Hmac object per call, a native object for the GC to collect, costs
   * more than the hashing (measured in the README's node-crypto section).
   */
  hashing?: 'javascript' | 'openssl';
  /**
   * Where AES-GCM records of up to 256 bytes (Finished, alerts, short writes) are sealed
   * and opened: 'javascript' (default), on puretls's AES-GCM (gcm.ts), where a node:crypto
   * cipher object per record costs more than the record, or 'openssl'. Longer records,
   * and every ChaCha20-Poly1305 record, always go to OpenSSL.
   */
  smallRecords?: 'javascript' | 'openssl';
}

/** Whether an option choosing between 'javascript' (the default) and 'openssl' says OpenSSL. */
function inOpenSsl(name: string, value: 'javascript' | 'openssl' | undefined): boolean {
  if (value === undefined || value === 'javascript') return false;
  if (value === 'openssl') return true;
  throw new TlsConfigError('ERR_INVALID_ARG_VALUE', `${name} must be 'javascript' or 'openssl', not ${String(value)}`);
}

/**
 * puretls/node-crypto: the same CryptoProvider on node:crypto (OpenSSL), opt-in, for speed:
 * give it as `crypto` to a TlsContext. The core never imports it.
 */
export class NodeCryptoProvider implements CryptoProvider {
  private readonly random: RandomBytes;
  private readonly hashInOpenSsl: boolean;
  private readonly smallRecordsInOpenSsl: boolean;

  constructor(options: NodeCryptoProviderOptions = {}) {
    // The OS CSPRNG through OpenSSL (RAND_bytes), pooled as the default provider's is.
    this.random = options.randomBytes ?? pooledRandom((out) => randomFillSync(out));
    this.hashInOpenSsl = inOpenSsl('hashing', options.hashing);
    this.smallRecordsInOpenSsl = inOpenSsl('smallRecords', options.smallRecords);
  }

  randomBytes(length: number): Uint8Array {
    return this.random(length);
  }

  hash(algorithm: HashAlgorithm): RunningHash {
    return this.hashInOpenSsl ? new NodeRunningHash(createHash(algorithm)) : runningHash(algorithm);
  }

  hmac(algorithm: HashAlgorithm, key: Uint8Array): KeyedMac {
    return this.hashInOpenSsl ? new NodeKeyedMac(algorithm, key) : keyedHmac(algorithm, key);
  }

  aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
    checkAeadKey(algorithm, key);
    if (algorithm === 'chacha20-poly1305' || this.smallRecordsInOpenSsl) return new NodeAead(algorithm, key);
    return new SplitAesGcm(algorithm, key);
  }

  generateEphemeralKey(group: EcdheGroup): EphemeralKey {
    if (group === 'x25519') return x25519Key(this.random);
    return nistKey(NIST[GROUP_CURVE[group]], this.random);
  }

  ecdsaSigningKey(curve: EcdsaCurve, secret: Uint8Array): EcdsaSigningKey {
    const c = NIST[curve];
    const ecdh = createECDH(c.ecdh);
    ecdh.setPrivateKey(secret);
    const key = createPrivateKey({ key: ecJwk(c, ecdh.getPublicKey(), secret), format: 'jwk' });
    return {
      curve,
      sign(hash: SignatureHash, message: Uint8Array): Uint8Array {
        return own(nodeSign(hash, message, { key, dsaEncoding: 'der' }));
      },
    };
  }

  ecdsaVerify(curve: EcdsaCurve, publicKey: Uint8Array, hash: SignatureHash, message: Uint8Array, signature: Uint8Array): boolean {
    const c = NIST[curve];
    if (publicKey.length === 0 || publicKey.length > 1 + 2 * c.coordinateLength) return false;
    try {
      // A certificate may carry the point compressed; OpenSSL decodes either form and refuses a point off the curve.
      const point = ECDH.convertKey(publicKey, c.ecdh, undefined, undefined, 'uncompressed') as Buffer;
      const key = createPublicKey({ key: ecJwk(c, point), format: 'jwk' });
      return nodeVerify(hash, message, { key, dsaEncoding: 'der' }, signature);
    } catch {
      return false;
    }
  }

  rsaSigningKey(parts: RsaPrivateKeyParts): RsaSigningKey {
    const key = createPrivateKey({ key: rsaJwk(parts), format: 'jwk' });
    const bits = parts.n.toString(2).length;
    return {
      bits,
      // OpenSSL blinds the private operation and checks the CRT result (rsa_ossl_mod_exp).
      sign: (scheme: RsaSignatureScheme, message: Uint8Array): Uint8Array => {
        const padding = RSA_SCHEME_PADDING[scheme];
        return own(nodeSign(padding.hash, message, { key, ...rsaPaddingOptions(padding) }));
      },
    };
  }

  rsaVerify(publicKey: Uint8Array, padding: RsaSignatureScheme | RsaPadding, message: Uint8Array, signature: Uint8Array): boolean {
    const p = typeof padding === 'string' ? RSA_SCHEME_PADDING[padding] : padding;
    // node:crypto takes MGF1's hash from the digest: a certificate's PSS with another MGF1 hash goes to the pure code.
    if (p.kind === 'pss' && p.mgf1Hash !== p.hash) return defaultCryptoProvider.rsaVerify(publicKey, p, message, signature);
    try {
      const key = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'pkcs1' });
      return nodeVerify(p.hash, message, { key, ...rsaPaddingOptions(p) }, signature);
    } catch {
      return false;
    }
  }

  eddsaSigningKey(algorithm: EddsaAlgorithm, secret: Uint8Array): EddsaSigningKey {
    const key = createPrivateKey({ key: Buffer.concat([EDDSA_PKCS8_PREFIX[algorithm], secret]), format: 'der', type: 'pkcs8' });
    const publicKey = new Uint8Array(Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url'));
    return { algorithm, publicKey, sign: (message: Uint8Array): Uint8Array => own(nodeSign(null, message, key)) };
  }

  eddsaVerify(algorithm: EddsaAlgorithm, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    try {
      const key = createPublicKey({ key: { kty: 'OKP', crv: algorithm, x: b64url(publicKey) }, format: 'jwk' });
      return nodeVerify(null, message, key, signature);
    } catch {
      return false;
    }
  }
}

/** PKCS#8 PrivateKeyInfo before the raw RFC 8032 key (RFC 8410 §7): version 0, the algorithm OID, an OCTET STRING. */
const EDDSA_PKCS8_PREFIX: Readonly<Record<EddsaAlgorithm, Buffer>> = {
  Ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
  Ed448: Buffer.from('3047020100300506032b6571043b0439', 'hex'),
};

function bigintBytes(v: bigint): Uint8Array {
  const hex = v.toString(16);
  return new Uint8Array(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
}

function rsaJwk(k: RsaPrivateKeyParts): JsonWebKey {
  const f = (v: bigint): string => b64url(bigintBytes(v));
  return { kty: 'RSA', n: f(k.n), e: f(k.e), d: f(k.d), p: f(k.p), q: f(k.q), dp: f(k.dp), dq: f(k.dq), qi: f(k.qInv) };
}

function rsaPaddingOptions(p: RsaPadding): { padding: number; saltLength?: number } {
  return p.kind === 'pss'
    ? { padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltLength }
    : { padding: cryptoConstants.RSA_PKCS1_PADDING };
}
