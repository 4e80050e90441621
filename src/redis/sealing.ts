import { gcm } from '@noble/ciphers/aes.js';
import { randomBytes } from '@noble/ciphers/utils.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { TlsConfigError } from '../errors.js';

/**
 * Everything puretls/redis puts in Redis is sealed first: AES-256-GCM (@noble/ciphers) under
 * a key derived with HKDF-SHA256 from the fleet's `secret`, one key per purpose (session
 * entries, the ticket key ring), so a value of one kind never opens as another. Whoever can
 * read Redis (a replica, a backup, a dump) learns no master secret and no ticket key.
 *
 * Sealed layout:
 *
 *   version (1 byte, SEALED_VERSION) | nonce (12 random bytes) | ciphertext | tag (16)
 *
 * The associated data is the caller's: what the value is bound to (a session ID and its
 * sid_ctx, the name of the Redis key), so a value copied elsewhere does not open.
 */

/** The fleet secret: 32 bytes (256 bits), as random as a key. */
export const SECRET_LENGTH = 32;
export const SEALED_VERSION = 1;
export const SEALED_NONCE_LENGTH = 12;
export const SEALED_TAG_LENGTH = 16;
/** Bytes sealing adds: version, nonce and tag. */
export const SEALED_OVERHEAD = 1 + SEALED_NONCE_LENGTH + SEALED_TAG_LENGTH;
/** Secrets a fleet may hold at once while it changes its secret: the current one and older ones. */
export const MAX_PREVIOUS_SECRETS = 4;

/** Checks a fleet secret (and the previous ones, while a fleet changes its secret). */
export function checkSecret(secret: unknown, what = 'secret'): Uint8Array {
  if (!(secret instanceof Uint8Array) || secret.length !== SECRET_LENGTH) {
    const got = secret instanceof Uint8Array ? `${secret.length} bytes` : typeof secret;
    throw new TlsConfigError('ERR_INVALID_SECRET', `${what} must be ${SECRET_LENGTH} random bytes (got ${got}); make one with: openssl rand -hex 32`);
  }
  // A constant secret (all zeros, a repeated byte) is a placeholder left in place, not a key.
  if (secret.every((b) => b === secret[0])) {
    throw new TlsConfigError('ERR_INVALID_SECRET', `${what} is ${SECRET_LENGTH} copies of one byte: use random bytes (openssl rand -hex 32)`);
  }
  return Uint8Array.from(secret);
}

/**
 * Seals and opens values for one purpose. Seals under the current secret; opens under the
 * current one or any previous one (a fleet changing its secret, see the README).
 */
export class AtRestSealer {
  private readonly keys: Uint8Array[];

  constructor(purpose: string, secret: Uint8Array, previousSecrets: readonly Uint8Array[] = []) {
    if (previousSecrets.length > MAX_PREVIOUS_SECRETS) {
      throw new TlsConfigError('ERR_INVALID_SECRET', `at most ${MAX_PREVIOUS_SECRETS} previous secrets (got ${previousSecrets.length})`);
    }
    const info = new TextEncoder().encode(`puretls/redis ${purpose} v${SEALED_VERSION} aes-256-gcm key`);
    this.keys = [secret, ...previousSecrets].map((s, i) => {
      const ikm = checkSecret(s, i === 0 ? 'secret' : `previousSecrets[${i - 1}]`);
      const key = hkdf(sha256, ikm, undefined, info, 32);
      ikm.fill(0);
      return key;
    });
  }

  seal(plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array {
    const nonce = randomBytes(SEALED_NONCE_LENGTH);
    const sealed = gcm(this.keys[0]!, nonce, associatedData).encrypt(plaintext);
    const out = new Uint8Array(1 + SEALED_NONCE_LENGTH + sealed.length);
    out[0] = SEALED_VERSION;
    out.set(nonce, 1);
    out.set(sealed, 1 + SEALED_NONCE_LENGTH);
    return out;
  }

  /** The plaintext, or undefined for anything that is not a value sealed by this fleet for this data. */
  open(value: Uint8Array, associatedData: Uint8Array): Uint8Array | undefined {
    if (value.length < SEALED_OVERHEAD || value[0] !== SEALED_VERSION) return undefined;
    const nonce = value.subarray(1, 1 + SEALED_NONCE_LENGTH);
    const sealed = value.subarray(1 + SEALED_NONCE_LENGTH);
    for (const key of this.keys) {
      try {
        return gcm(key, nonce, associatedData).decrypt(sealed);
      } catch {
        // the tag did not match under this key: try the next one
      }
    }
    return undefined;
  }

  /** Wipes the derived keys; nothing can be sealed or opened afterwards. */
  dispose(): void {
    for (const key of this.keys) key.fill(0);
    this.keys.length = 0;
  }
}

/** A value for Redis: sealed bytes as base64 text (any client stores and returns it intact). */
export function toRedisValue(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** What a Redis client returned for a value of ours: base64 text (or its bytes), else undefined. */
export function fromRedisValue(value: unknown, maxBytes: number): Uint8Array | undefined {
  const text = typeof value === 'string' ? value : value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : undefined;
  // Four base64 characters carry three bytes; anything longer than our largest value is not ours.
  if (text === undefined || text.length > Math.ceil(maxBytes / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}
