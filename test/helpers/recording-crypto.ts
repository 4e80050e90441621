/**
 * A CryptoProvider that wraps the default (noble) one and records what it hands out, so a
 * test can see through the provider what the server did with its secrets and how much work
 * it spent: every AEAD (its key, seals, opens, disposal), every keyed HMAC and whether it was
 * disposed, every ephemeral key and the shared secret it produced (the very array the server
 * got), and every ECDSA signature check.
 */
import { concatBytes } from '../../src/codec/bytes.js';
import { defaultCryptoProvider } from '../../src/crypto/noble.js';
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

export interface AeadRecord {
  /** Order of creation within this provider, from 0. */
  readonly order: number;
  readonly algorithm: AeadAlgorithm;
  /** A copy of the key as given (the real AEAD may wipe its own). */
  readonly key: Uint8Array;
  /** The key array the caller passed, by reference: what the caller does with it afterwards shows here. */
  readonly keyRef: Uint8Array;
  /** 'read' / 'write' once a test has identified it. */
  label: string | undefined;
  seals: number;
  opens: number;
  /** What the last open() returned, the same array the caller got. */
  lastOpened: Uint8Array | null | undefined;
  disposeCalls: number;
  /** seal/open calls that reached the wrapper after dispose(). */
  usedAfterDispose: number;
  disposed: boolean;
}

export interface MacRecord {
  readonly algorithm: HashAlgorithm;
  /** A copy of the key as given. */
  readonly key: Uint8Array;
  /** The provider's own KeyedMac. */
  readonly inner: KeyedMac;
  macs: number;
  disposed: boolean;
  /**
   * For the pure providers' HMAC: its keyed hash states (words and block buffers) as
   * they were right after dispose. Taken then, because the objects go on to serve other keys.
   */
  stateAfterDispose?: Uint8Array;
}

/**
 * The hash states behind the pure providers' HMAC (src/crypto/hmac.ts), while it has them:
 * noble objects (SHA-384, and NobleHmac for either) or sha256.ts states (SHA-256).
 */
interface NobleHashState {
  get(): number[];
  buffer: Uint8Array;
}
interface Sha256State {
  state: Int32Array;
  block: Uint8Array;
}

function heldHashStates(mac: KeyedMac): Array<NobleHashState | Sha256State> {
  const keyed = mac as unknown as { inner?: unknown; outer?: unknown };
  return [keyed.inner, keyed.outer].filter(
    (h): h is NobleHashState | Sha256State => typeof (h as NobleHashState)?.get === 'function' || (h as Sha256State)?.state instanceof Int32Array,
  );
}

/** The states' words (low bytes, then whole) and block buffers, as bytes. */
function hashStateBytes(states: Array<NobleHashState | Sha256State>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const h of states) {
    const words = 'get' in h ? h.get() : Array.from(h.state);
    parts.push(Uint8Array.from(words.map((w) => w & 0xff)), new Uint8Array(Uint32Array.from(words, (w) => w >>> 0).buffer), 'get' in h ? h.buffer : h.block);
  }
  return concatBytes(parts);
}

function recordedHash(inner: RunningHash, rec: HashRecord): RunningHash {
  const use = (): RunningHash => {
    if (rec.disposed) rec.usedAfterDispose++;
    return inner;
  };
  return {
    update: (data) => use().update(data),
    digest: () => use().digest(),
    clone: () => use().clone(),
    dispose() {
      rec.disposed = true;
      inner.dispose?.();
    },
  };
}

export interface EphemeralRecord {
  readonly group: EcdheGroup;
  /** The shared secret exactly as handed to the server (the same array), once agreed. */
  shared: Uint8Array | null | undefined;
  disposed: boolean;
}

export interface HashRecord {
  readonly algorithm: HashAlgorithm;
  disposed: boolean;
  /** Calls after dispose (a hash must not be used then: its object may serve another). */
  usedAfterDispose: number;
}

export interface VerifyRecord {
  /** 'ecdsa', 'rsa' or the EdDSA algorithm. */
  kind: 'ecdsa' | 'rsa' | EddsaAlgorithm;
  /** ECDSA only. */
  curve?: EcdsaCurve;
  hash?: SignatureHash;
  result: boolean;
}

export class RecordingCrypto implements CryptoProvider {
  readonly aeads: AeadRecord[] = [];
  readonly macs: MacRecord[] = [];
  readonly ephemerals: EphemeralRecord[] = [];
  /** Every running hash made (the transcript's), in order. */
  readonly hashes: HashRecord[] = [];
  /** Every signature check (ecdsaVerify, rsaVerify, eddsaVerify), in order. */
  readonly verifies: VerifyRecord[] = [];

  constructor(private readonly inner: CryptoProvider = defaultCryptoProvider) {}

  randomBytes(length: number): Uint8Array {
    return this.inner.randomBytes(length);
  }
  hash(algorithm: HashAlgorithm): RunningHash {
    const rec: HashRecord = { algorithm, disposed: false, usedAfterDispose: 0 };
    this.hashes.push(rec);
    return recordedHash(this.inner.hash(algorithm), rec);
  }
  hmac(algorithm: HashAlgorithm, key: Uint8Array): KeyedMac {
    const inner = this.inner.hmac(algorithm, key);
    const rec: MacRecord = { algorithm, key: key.slice(), inner, macs: 0, disposed: false };
    const held = heldHashStates(inner);
    this.macs.push(rec);
    return {
      outputLength: inner.outputLength,
      mac(...parts) {
        rec.macs++;
        return inner.mac(...parts);
      },
      // Passed on when the provider has it, so the PRF takes the same path as without the recording.
      ...(inner.macInto && {
        macInto(out: Uint8Array, at: number, first: Uint8Array, second?: Uint8Array, third?: Uint8Array) {
          rec.macs++;
          inner.macInto!(out, at, first, second, third);
        },
      }),
      dispose() {
        rec.disposed = true;
        inner.dispose?.();
        if (held.length > 0) rec.stateAfterDispose = hashStateBytes(held);
      },
    };
  }
  generateEphemeralKey(group: EcdheGroup): EphemeralKey {
    const inner = this.inner.generateEphemeralKey(group);
    const rec: EphemeralRecord = { group, shared: undefined, disposed: false };
    this.ephemerals.push(rec);
    return {
      publicKey: inner.publicKey,
      agree(peer) {
        rec.shared = inner.agree(peer);
        return rec.shared;
      },
      dispose() {
        rec.disposed = true;
        inner.dispose?.();
      },
    };
  }
  ecdsaSigningKey(curve: EcdsaCurve, secret: Uint8Array): EcdsaSigningKey {
    return this.inner.ecdsaSigningKey(curve, secret);
  }
  ecdsaVerify(curve: EcdsaCurve, publicKey: Uint8Array, hash: SignatureHash, message: Uint8Array, signature: Uint8Array): boolean {
    const result = this.inner.ecdsaVerify(curve, publicKey, hash, message, signature);
    this.verifies.push({ kind: 'ecdsa', curve, hash, result });
    return result;
  }
  rsaSigningKey(key: RsaPrivateKeyParts): RsaSigningKey {
    return this.inner.rsaSigningKey(key);
  }
  rsaVerify(publicKey: Uint8Array, padding: RsaSignatureScheme | RsaPadding, message: Uint8Array, signature: Uint8Array): boolean {
    const result = this.inner.rsaVerify(publicKey, padding, message, signature);
    this.verifies.push({ kind: 'rsa', result });
    return result;
  }
  eddsaSigningKey(algorithm: EddsaAlgorithm, secret: Uint8Array): EddsaSigningKey {
    return this.inner.eddsaSigningKey(algorithm, secret);
  }
  eddsaVerify(algorithm: EddsaAlgorithm, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    const result = this.inner.eddsaVerify(algorithm, publicKey, message, signature);
    this.verifies.push({ kind: algorithm, result });
    return result;
  }

  aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
    const real = this.inner.aead(algorithm, key);
    const rec: AeadRecord = {
      order: this.aeads.length,
      algorithm,
      key: key.slice(),
      keyRef: key,
      label: undefined,
      seals: 0,
      opens: 0,
      lastOpened: undefined,
      disposeCalls: 0,
      usedAfterDispose: 0,
      disposed: false,
    };
    this.aeads.push(rec);
    return {
      seal(nonce, aad, plaintext, out) {
        if (rec.disposed) rec.usedAfterDispose++;
        rec.seals++;
        return real.seal(nonce, aad, plaintext, out);
      },
      open(nonce, aad, ciphertextAndTag) {
        if (rec.disposed) rec.usedAfterDispose++;
        rec.opens++;
        rec.lastOpened = real.open(nonce, aad, ciphertextAndTag);
        return rec.lastOpened;
      },
      dispose() {
        rec.disposeCalls++;
        rec.disposed = true;
        real.dispose?.();
      },
    };
  }

  /** One line per AEAD, for assertion messages. */
  describe(): string {
    return this.aeads
      .map((a) => `#${a.order} ${a.label ?? '?'} ${a.algorithm} seals=${a.seals} opens=${a.opens} disposed=${a.disposed}`)
      .join('; ');
  }
}
