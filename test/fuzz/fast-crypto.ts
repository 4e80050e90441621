/**
 * The fuzz world's CryptoProvider: noble, with a seeded random stream that restarts for
 * every connection (so the server says the same to the same input, and recorded client
 * flights stay valid), and with the elliptic-curve operations memoised by their inputs.
 *
 * ECDHE, ECDSA and EdDSA/RSA verification are pure functions of their inputs, and a
 * fuzzed connection repeats the same ones thousands of times (the same hello gets the same
 * server random, the same key share, the same signature). Memoising them leaves the
 * protocol code's behaviour unchanged and makes the fuzzer's rate depend on parsing and
 * state handling, which is what it tests, rather than on scalar multiplication. Results
 * are copied out (the server wipes shared secrets) and each table is bounded.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../../src/codec/bytes.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
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
  RsaPadding,
  RsaPrivateKeyParts,
  RsaSignatureScheme,
  RsaSigningKey,
  RunningHash,
  SignatureHash,
} from '../../src/crypto/provider.js';
import { seededRandom, type RandomSource } from '../helpers/tls-client.js';

/** Entries per table before it is emptied: a few MB at most, so the heap stays flat. */
const MEMO_LIMIT = 4096;
/** Random bytes an ephemeral key is made from (noble draws at most this many for any group). */
const EPHEMERAL_SEED_LENGTH = 72;

class Memo<V> {
  private readonly table = new Map<string, V>();
  get(key: string, compute: () => V): V {
    const found = this.table.get(key);
    if (found !== undefined || this.table.has(key)) return found as V;
    const value = compute();
    if (this.table.size >= MEMO_LIMIT) this.table.clear();
    this.table.set(key, value);
    return value;
  }
}

/** A digest of the inputs as a table key (messages can be kilobytes). */
function keyOf(...parts: (string | Uint8Array)[]): string {
  return parts.map((p) => (typeof p === 'string' ? p : p.length <= 64 ? toHex(p) : toHex(sha256(p)) + `:${p.length}`)).join('|');
}

export class FuzzCrypto implements CryptoProvider {
  private rng: RandomSource;
  private readonly inner = new NobleCryptoProvider({ randomBytes: (n) => this.rng(n) });
  private readonly agreements = new Memo<Uint8Array | null>();
  private readonly publicKeys = new Memo<Uint8Array>();
  private readonly signatures = new Memo<Uint8Array>();
  private readonly verifications = new Memo<boolean>();

  constructor(private readonly seed: string) {
    this.rng = seededRandom(seed);
  }

  /** The random stream starts again: call before each connection. */
  reset(): void {
    this.rng = seededRandom(this.seed);
  }

  randomBytes(length: number): Uint8Array {
    return this.rng(length);
  }

  hash(algorithm: HashAlgorithm): RunningHash {
    return this.inner.hash(algorithm);
  }

  hmac(algorithm: HashAlgorithm, key: Uint8Array): KeyedMac {
    return this.inner.hmac(algorithm, key);
  }

  aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
    return this.inner.aead(algorithm, key);
  }

  /** A key made by noble from this connection's random bytes; its public key and agreements are memoised by those bytes. */
  generateEphemeralKey(group: EcdheGroup): EphemeralKey {
    const seed = this.rng(EPHEMERAL_SEED_LENGTH);
    const fresh = (): EphemeralKey => new NobleCryptoProvider({ randomBytes: (n) => seed.slice(0, n) }).generateEphemeralKey(group);
    const id = keyOf(group, seed);
    const publicKey = this.publicKeys.get(id, () => fresh().publicKey.slice()).slice();
    let used = false;
    return {
      publicKey,
      agree: (peer: Uint8Array): Uint8Array | null => {
        if (used) return null;
        used = true;
        const shared = this.agreements.get(keyOf(id, peer), () => fresh().agree(peer)?.slice() ?? null);
        return shared === null ? null : shared.slice();
      },
      dispose: () => {
        used = true;
      },
    };
  }

  ecdsaSigningKey(curve: EcdsaCurve, secret: Uint8Array): EcdsaSigningKey {
    const signer = this.inner.ecdsaSigningKey(curve, secret);
    const id = keyOf(curve, secret);
    return {
      curve,
      sign: (hash: SignatureHash, message: Uint8Array) => this.signatures.get(keyOf(id, hash, message), () => signer.sign(hash, message)).slice(),
    };
  }

  ecdsaVerify(curve: EcdsaCurve, publicKey: Uint8Array, hash: SignatureHash, message: Uint8Array, signature: Uint8Array): boolean {
    return this.verifications.get(keyOf('ecdsa', curve, publicKey, hash, message, signature), () =>
      this.inner.ecdsaVerify(curve, publicKey, hash, message, signature),
    );
  }

  rsaSigningKey(key: RsaPrivateKeyParts): RsaSigningKey {
    return this.inner.rsaSigningKey(key);
  }

  rsaVerify(publicKey: Uint8Array, padding: RsaSignatureScheme | RsaPadding, message: Uint8Array, signature: Uint8Array): boolean {
    return this.verifications.get(keyOf('rsa', publicKey, JSON.stringify(padding), message, signature), () =>
      this.inner.rsaVerify(publicKey, padding, message, signature),
    );
  }

  eddsaSigningKey(algorithm: EddsaAlgorithm, secret: Uint8Array): EddsaSigningKey {
    return this.inner.eddsaSigningKey(algorithm, secret);
  }

  eddsaVerify(algorithm: EddsaAlgorithm, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    return this.verifications.get(keyOf('eddsa', algorithm, publicKey, message, signature), () =>
      this.inner.eddsaVerify(algorithm, publicKey, message, signature),
    );
  }
}
