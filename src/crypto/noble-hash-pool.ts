import { sha256, sha384 } from '@noble/hashes/sha2.js';
import type { HashAlgorithm } from './provider.js';

/**
 * noble SHA-256 / SHA-384 objects, reused. Creating one costs about 1.8 µs, nearly all of
 * it the DataView noble wraps around its block buffer (which makes V8 give that 64- or
 * 128-byte buffer an ArrayBuffer of its own); copying a state into one that exists costs
 * about 0.1 µs. A handshake of a SHA-384 suite makes three (its transcript, and the master
 * secret's HMAC states; SHA-256 suites use sha256.ts's states, pooled the same way) and is
 * done with them when both Finished messages are: `release` wipes an object (noble's
 * `destroy` zeroes its state and buffer) and keeps it for the next `take`.
 */

export type NobleHash = ReturnType<typeof sha256.create> | ReturnType<typeof sha384.create>;

/** noble's SHA-2 functions for the hashes a TLS 1.2 suite uses (also hmac.ts's). */
export const NOBLE_HASHES = { sha256, sha384 } as const;

/** At most this many are kept per algorithm: a burst of handshakes leaves no more behind. */
const MAX_SPARE = 128;
const spare: Record<HashAlgorithm, NobleHash[]> = { sha256: [], sha384: [] };
/** A hash that has absorbed nothing, per algorithm, never updated: what `take` copies. */
const empty: Partial<Record<HashAlgorithm, NobleHash>> = {};

/** A hash object in its initial state: a released one if there is one. */
export function takeHash(algorithm: HashAlgorithm): NobleHash {
  const start = (empty[algorithm] ??= NOBLE_HASHES[algorithm].create() as NobleHash);
  return start._cloneInto(spare[algorithm].pop() as never) as NobleHash;
}

/** Wipes `h` and keeps it; the caller must not use it again. */
export function releaseHash(algorithm: HashAlgorithm, h: NobleHash): void {
  h.destroy();
  const spares = spare[algorithm];
  if (spares.length < MAX_SPARE) spares.push(h);
}
