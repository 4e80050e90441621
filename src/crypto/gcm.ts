import { GHASH } from '@noble/ciphers/_polyval.js';
import { unsafe } from '@noble/ciphers/aes.js';
import { copyBytes } from '../codec/bytes.js';
import { constantTimeEqual, type Aead } from './provider.js';

/**
 * AES-GCM (NIST SP 800-38D) with the key schedule kept between records.
 *
 * noble's `gcm(key, nonce, aad)` expands the AES key, derives the hash key H and builds
 * the GHASH table on every call: that fixed cost is most of the price of a small TLS record
 * (Finished, alerts, short requests). A TLS connection seals thousands of records under one
 * key, so we do that work once per key and reuse it. The block cipher, the CTR keystream
 * and GHASH are still noble's (`unsafe.expandKeyLE`, `unsafe.ctr32`, `GHASH`); this file
 * only assembles GCM from them, and it is checked against noble's own `gcm` and published
 * test vectors.
 */

const BLOCK = 16;
const TAG_LENGTH = 16;
/**
 * noble sizes the GHASH table by the expected message length. Most keys seal a handful of
 * small records (a resumed handshake: two Finished and two alerts), where the small table
 * is cheapest to build; a key that carries bulk data switches to the larger, faster table.
 */
const SMALL_TABLE_LENGTH = 1024;
const LARGE_TABLE_LENGTH = 16384;
const SWITCH_TO_LARGE_TABLE_AFTER = 64 * 1024;

/**
 * Small records (handshake messages, alerts, short requests) go through GHASH in one call:
 * AAD, ciphertext and the length block laid out zero-padded in this shared buffer, which
 * is exactly how GHASH pads each part. It saves two calls, each of which copies its input
 * inside noble. The buffer holds only public bytes (AAD and ciphertext) and is used
 * synchronously, so one per process is enough.
 */
const singlePass = new Uint8Array(1024);

const padded = (n: number): number => (n + BLOCK - 1) & ~(BLOCK - 1);

/** noble's GHASH, made reusable: the key table stays, the running state is reset per message. */
class ReusableGhash extends GHASH {
  reset(): this {
    this.s0 = this.s1 = this.s2 = this.s3 = 0;
    this.finished = false;
    return this;
  }
}

/** noble's word-wise helpers read through Uint32Array views, so inputs must be 4-byte aligned. */
function aligned(b: Uint8Array): Uint8Array {
  return b.byteOffset % 4 === 0 ? b : copyBytes(b);
}

/** The GCM length block: bit lengths of A and C as 64-bit big-endian integers (TLS's fit in 32 bits). */
function writeBitLengths(out: Uint8Array, at: number, aadLength: number, ciphertextLength: number): void {
  out.fill(0, at, at + BLOCK);
  const a = aadLength * 8;
  const c = ciphertextLength * 8;
  out[at + 4] = a >>> 24;
  out[at + 5] = a >>> 16;
  out[at + 6] = a >>> 8;
  out[at + 7] = a;
  out[at + 12] = c >>> 24;
  out[at + 13] = c >>> 16;
  out[at + 14] = c >>> 8;
  out[at + 15] = c;
}

export class AesGcm implements Aead {
  private readonly xk: Uint32Array;
  private ghash: ReusableGhash;
  private hashKey: Uint8Array | undefined;
  private bytesHashed = 0;
  private readonly counter = new Uint8Array(BLOCK);
  private readonly tagMask = new Uint8Array(BLOCK);
  private readonly lengths = new Uint8Array(BLOCK);
  private readonly digest = new Uint8Array(BLOCK);
  private disposed = false;

  constructor(key: Uint8Array) {
    if (key.length !== 16 && key.length !== 32) throw new RangeError('AES-GCM needs a 16- or 32-byte key');
    this.xk = unsafe.expandKeyLE(aligned(key)) as Uint32Array;
    const h = unsafe.encryptBlock(this.xk, new Uint8Array(BLOCK)); // H = E(K, 0^128)
    this.ghash = new ReusableGhash(h, SMALL_TABLE_LENGTH);
    this.hashKey = h;
  }

  private ghashFor(length: number): ReusableGhash {
    if (this.hashKey && (this.bytesHashed += length) > SWITCH_TO_LARGE_TABLE_AFTER) {
      this.ghash = new ReusableGhash(this.hashKey, LARGE_TABLE_LENGTH);
      this.hashKey.fill(0);
      this.hashKey = undefined;
    }
    return this.ghash.reset();
  }

  /** J0 = nonce || 0^31 || 1; the tag mask is E(K, J0); the counter is left at inc32(J0). */
  private start(nonce: Uint8Array): void {
    if (nonce.length !== 12) throw new RangeError('AES-GCM in TLS uses a 12-byte nonce');
    const c = this.counter;
    c.set(nonce);
    c[12] = 0;
    c[13] = 0;
    c[14] = 0;
    c[15] = 1;
    this.tagMask.fill(0);
    unsafe.ctr32(this.xk, false, c, this.tagMask, this.tagMask);
  }

  /** GHASH(A, C) XOR E(K, J0) into `this.digest`. */
  private tag(aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    const g = this.ghashFor(ciphertext.length);
    const aadEnd = padded(aad.length);
    const lengthsAt = aadEnd + padded(ciphertext.length);
    if (lengthsAt + BLOCK <= singlePass.length) {
      const b = singlePass;
      b.fill(0, 0, lengthsAt + BLOCK);
      b.set(aad, 0);
      b.set(ciphertext, aadEnd);
      writeBitLengths(b, lengthsAt, aad.length, ciphertext.length);
      g.update(b.subarray(0, lengthsAt + BLOCK));
    } else {
      writeBitLengths(this.lengths, 0, aad.length, ciphertext.length);
      if (aad.length) g.update(aad);
      g.update(ciphertext);
      g.update(this.lengths);
    }
    g.digestInto(this.digest);
    const d = this.digest;
    const m = this.tagMask;
    for (let i = 0; i < BLOCK; i++) d[i]! ^= m[i]!;
    return d;
  }

  /** The key schedule and the GHASH table are the key in other forms: wipe them. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.xk.fill(0);
    this.ghash.destroy();
    this.hashKey?.fill(0);
    this.hashKey = undefined;
    this.tagMask.fill(0);
    this.digest.fill(0);
  }

  private checkLive(): void {
    if (this.disposed) throw new Error('AES-GCM key used after dispose');
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    this.checkLive();
    this.start(nonce);
    const out = new Uint8Array(plaintext.length + TAG_LENGTH);
    const ciphertext = out.subarray(0, plaintext.length);
    if (plaintext.length) unsafe.ctr32(this.xk, false, this.counter, aligned(plaintext), ciphertext);
    out.set(this.tag(aad, ciphertext), plaintext.length);
    return out;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    this.checkLive();
    if (ciphertextAndTag.length < TAG_LENGTH) return null;
    this.start(nonce);
    const input = aligned(ciphertextAndTag);
    const ciphertext = input.subarray(0, input.length - TAG_LENGTH);
    // Authenticate before decrypting anything.
    if (!constantTimeEqual(this.tag(aad, ciphertext), input.subarray(ciphertext.length))) return null;
    const plaintext = new Uint8Array(ciphertext.length);
    if (ciphertext.length) unsafe.ctr32(this.xk, false, this.counter, ciphertext, plaintext);
    return plaintext;
  }
}
