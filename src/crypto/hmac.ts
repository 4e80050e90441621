import { NOBLE_HASHES, releaseHash, takeHash, type NobleHash } from './noble-hash-pool.js';
import type { HashAlgorithm, KeyedMac } from './provider.js';
import { SHA256_BLOCK_LENGTH, SHA256_OUTPUT_LENGTH, Sha256, releaseSha256, takeSha256 } from './sha256.js';

/**
 * The pure providers' HMAC: on sha256.ts for SHA-256, which allocates nothing per MAC but
 * the MAC returned (the PRF of every suite but the SHA-384 ones); on noble for SHA-384.
 */
export function keyedHmac(algorithm: HashAlgorithm, key: Uint8Array): KeyedMac {
  return algorithm === 'sha256' ? new Sha256Hmac(key) : new NobleHmac(algorithm, key);
}

/** The working states of every HMAC-SHA-256 key, and the inner digest: a MAC runs synchronously from start to end. */
const sha256Inner = new Sha256();
const sha256Outer = new Sha256();
const sha256InnerDigest = new Uint8Array(SHA256_OUTPUT_LENGTH);
/** The padded key while it is absorbed; wiped at once. */
const sha256Pad = new Uint8Array(SHA256_BLOCK_LENGTH);

/**
 * HMAC-SHA-256 (RFC 2104) keyed once: the inner and outer states, each having absorbed
 * its padded key block, are copied into the two working states per MAC. Nothing is
 * allocated per MAC but the 32 bytes `mac` returns, and nothing at all by `macInto`
 * (bench/primitives.ts "hmac"). The working states are wiped after every MAC, the keyed
 * ones when the MAC is disposed (they go back to sha256.ts's spares).
 */
export class Sha256Hmac implements KeyedMac {
  readonly outputLength = SHA256_OUTPUT_LENGTH;
  /** The keyed states; undefined once disposed (they may be another key's by then). */
  private inner: Sha256 | undefined;
  private outer: Sha256 | undefined;

  constructor(key: Uint8Array) {
    const pad = sha256Pad;
    // RFC 2104 §2: a key longer than the block is hashed first.
    if (key.length > SHA256_BLOCK_LENGTH) {
      sha256Inner.reset().update(key).digestInto(pad);
      sha256Inner.wipe();
    } else {
      pad.set(key);
    }
    for (let i = 0; i < SHA256_BLOCK_LENGTH; i++) pad[i]! ^= 0x36;
    this.inner = takeSha256().update(pad);
    for (let i = 0; i < SHA256_BLOCK_LENGTH; i++) pad[i]! ^= 0x36 ^ 0x5c;
    this.outer = takeSha256().update(pad);
    pad.fill(0);
  }

  mac(...parts: Uint8Array[]): Uint8Array {
    const inner = this.startInner();
    for (let i = 0; i < parts.length; i++) inner.update(parts[i]!);
    const out = new Uint8Array(SHA256_OUTPUT_LENGTH);
    this.finish(inner, out, 0);
    return out;
  }

  macInto(out: Uint8Array, at: number, first: Uint8Array, second?: Uint8Array, third?: Uint8Array): void {
    if (out.length - at < SHA256_OUTPUT_LENGTH) throw new RangeError('HMAC-SHA-256 output needs 32 bytes');
    const inner = this.startInner().update(first);
    if (second) inner.update(second);
    if (third) inner.update(third);
    this.finish(inner, out, at);
  }

  /** The working inner state, keyed. */
  private startInner(): Sha256 {
    if (!this.inner) throw new Error('HMAC used after dispose');
    return sha256Inner.copyFrom(this.inner);
  }

  /** The outer hash over the inner digest, into `out` at `at`; then the working states and the inner digest, the key's work, are wiped. */
  private finish(inner: Sha256, out: Uint8Array, at: number): void {
    inner.digestInto(sha256InnerDigest);
    sha256Outer.copyFrom(this.outer!).update(sha256InnerDigest).digestInto(out, at);
    sha256InnerDigest.fill(0);
    inner.wipe();
    sha256Outer.wipe();
  }

  /** The key is done with: wipe the keyed states; the objects may serve another key. */
  dispose(): void {
    if (this.inner) releaseSha256(this.inner);
    if (this.outer) releaseSha256(this.outer);
    this.inner = this.outer = undefined;
  }
}

/**
 * HMAC (RFC 2104) over noble's SHA-256 and SHA-384, keyed once, with as little allocated
 * per MAC as noble's hashes allow. The pure providers use it for SHA-384 (`keyedHmac`).
 *
 * A TLS 1.2 handshake runs its PRF (RFC 5246 §5) a few times, each a chain of HMACs under
 * one key. noble's `hmac` object, cloned per MAC and digesting into an outside buffer,
 * made two DataViews and a subarray per MAC on top of the hashing. Here the keyed inner
 * and outer states (each having absorbed its padded key block) are copied into two working
 * hashes shared by every key; each digest is written into its working hash's own block
 * buffer, for which noble reuses the DataView it already has, and the inner digest goes to
 * the outer hash through a view made once. What is still allocated per MAC is the MAC the
 * caller keeps and what noble's `update` and `_cloneInto` make inside (bench/primitives.ts:
 * about 730 bytes per MAC against 1090 before, 1.6 µs against 2.6 µs). The working hashes
 * are wiped (`destroy`) after every MAC. The keyed states come from noble-hash-pool.ts and
 * go back to it, wiped, when the MAC is disposed; the padded key is absorbed from a buffer
 * made once. noble keeps a hash's block buffer `protected`, so @noble/hashes is pinned to
 * an exact version, as @noble/ciphers is.
 *
 * Tested against node:crypto's HMAC (test/crypto/hmac.test.ts) and, through the PRF, the
 * published TLS 1.2 PRF vectors (test/vectors/prf.test.ts).
 */

/** noble keeps each hash's block buffer `protected`; digestInto(buffer) is what its own digest() does. */
const blockBuffer = (h: NobleHash): Uint8Array => (h as unknown as { buffer: Uint8Array }).buffer;

/** Two working hashes per algorithm, shared: a MAC runs synchronously from start to end. */
interface Work {
  inner: NobleHash;
  outer: NobleHash;
  /** The inner digest, where `inner.digestInto(inner.buffer)` leaves it. */
  innerDigest: Uint8Array;
}

const works: Partial<Record<HashAlgorithm, Work>> = {};

function workFor(algorithm: HashAlgorithm, inner: NobleHash, outer: NobleHash): Work {
  let w = works[algorithm];
  if (!w) {
    const i = inner.clone() as NobleHash;
    const o = outer.clone() as NobleHash;
    w = works[algorithm] = { inner: i, outer: o, innerDigest: blockBuffer(i).subarray(0, i.outputLen) };
  }
  return w;
}

/** The padded key while it is absorbed (blocks of 64 or 128 bytes), in a buffer that has its ArrayBuffer already; wiped at once. */
const padBuffer = new Uint8Array(new ArrayBuffer(128));

export class NobleHmac implements KeyedMac {
  readonly outputLength: number;
  /** The keyed states; undefined once disposed (they may be another key's by then). */
  private inner: NobleHash | undefined;
  private outer: NobleHash | undefined;

  constructor(
    private readonly algorithm: HashAlgorithm,
    key: Uint8Array,
  ) {
    const hash = NOBLE_HASHES[algorithm];
    const blockLength = hash.blockLen;
    const pad = padBuffer.subarray(0, blockLength);
    // RFC 2104 §2: a key longer than the block is hashed first.
    pad.set(key.length > blockLength ? hash(key) : key);
    for (let i = 0; i < blockLength; i++) pad[i]! ^= 0x36;
    this.inner = takeHash(algorithm).update(pad) as NobleHash;
    for (let i = 0; i < blockLength; i++) pad[i]! ^= 0x36 ^ 0x5c;
    this.outer = takeHash(algorithm).update(pad) as NobleHash;
    padBuffer.fill(0);
    this.outputLength = hash.outputLen;
  }

  mac(...parts: Uint8Array[]): Uint8Array {
    if (!this.inner || !this.outer) throw new Error('HMAC used after dispose');
    const w = workFor(this.algorithm, this.inner, this.outer);
    const inner = this.inner._cloneInto(w.inner as never) as NobleHash;
    for (let i = 0; i < parts.length; i++) inner.update(parts[i]!);
    inner.digestInto(blockBuffer(inner)); // noble reuses its own view for its own buffer
    const outer = this.outer._cloneInto(w.outer as never) as NobleHash;
    outer.update(w.innerDigest);
    const outerBuffer = blockBuffer(outer);
    outer.digestInto(outerBuffer);
    const out = outerBuffer.slice(0, this.outputLength);
    // The working states and buffers now hold the inner digest and the MAC: wipe them.
    inner.destroy();
    outer.destroy();
    return out;
  }

  /** The key is done with: wipe the keyed states (noble's destroy zeroes them); the objects may serve another key. */
  dispose(): void {
    if (this.inner) releaseHash(this.algorithm, this.inner);
    if (this.outer) releaseHash(this.algorithm, this.outer);
    this.inner = this.outer = undefined;
  }
}
