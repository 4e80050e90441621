import { GHASH } from '@noble/ciphers/_polyval.js';
import { unsafe } from '@noble/ciphers/aes.js';
import { copyBytes, writeUint32BE } from '../codec/bytes.js';
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

/*
 * Working blocks, shared by every key: seal and open run synchronously from start to end,
 * so no two ever use them at once. Besides saving allocations, they live in one
 * ArrayBuffer that exists already: noble reads its inputs through Uint32Array views, and
 * viewing a fresh small array makes V8 create an ArrayBuffer for it, which costs more than
 * the AES block itself.
 */
const SINGLE_PASS_LENGTH = 1024;
/** Records up to this long are encrypted and decrypted in place in `smallRecord`. */
const SMALL_RECORD_LENGTH = 1024;
const scratch = new ArrayBuffer(SINGLE_PASS_LENGTH + 4 * BLOCK + SMALL_RECORD_LENGTH);
/**
 * Small records (handshake messages, alerts, short requests) go through GHASH in one call:
 * AAD, ciphertext and the length block laid out zero-padded here, which is exactly how
 * GHASH pads each part. It saves two calls, each of which copies its input inside noble.
 * Only public bytes (AAD and ciphertext) pass through it.
 */
const singlePass = new Uint8Array(scratch, 0, SINGLE_PASS_LENGTH);
/** J0, then the CTR counter. */
const counter = new Uint8Array(scratch, SINGLE_PASS_LENGTH, BLOCK);
/** E(K, J0), which masks the tag; wiped after each use. Also where H = E(K, 0^128) is made. */
const keystreamBlock = new Uint8Array(scratch, SINGLE_PASS_LENGTH + BLOCK, BLOCK);
const lengths = new Uint8Array(scratch, SINGLE_PASS_LENGTH + 2 * BLOCK, BLOCK);
const digest = new Uint8Array(scratch, SINGLE_PASS_LENGTH + 3 * BLOCK, BLOCK);
const smallRecord = new Uint8Array(scratch, SINGLE_PASS_LENGTH + 4 * BLOCK, SMALL_RECORD_LENGTH);

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
  writeUint32BE(out, at + 4, aadLength * 8);
  writeUint32BE(out, at + 12, ciphertextLength * 8);
}

export class AesGcm implements Aead {
  private readonly xk: Uint32Array;
  private ghash: ReusableGhash;
  private hashKey: Uint8Array | undefined;
  private bytesHashed = 0;
  private disposed = false;

  constructor(key: Uint8Array) {
    if (key.length !== 16 && key.length !== 32) throw new RangeError('AES-GCM needs a 16- or 32-byte key');
    const k = aligned(key);
    this.xk = unsafe.expandKeyLE(k) as Uint32Array;
    if (k !== key) k.fill(0); // our copy; the caller's key is the caller's to wipe
    const h = keystreamBlock.fill(0);
    unsafe.encryptBlock(this.xk, h); // H = E(K, 0^128), in place
    this.ghash = new ReusableGhash(h, SMALL_TABLE_LENGTH); // noble copies it
    this.hashKey = h.slice();
    h.fill(0);
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
    const c = counter;
    c.set(nonce);
    c[12] = 0;
    c[13] = 0;
    c[14] = 0;
    c[15] = 1;
    keystreamBlock.fill(0);
    unsafe.ctr32(this.xk, false, c, keystreamBlock, keystreamBlock);
  }

  /** GHASH(A, C) XOR E(K, J0) into `digest`; the mask is wiped once used. */
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
      writeBitLengths(lengths, 0, aad.length, ciphertext.length);
      if (aad.length) g.update(aad);
      g.update(ciphertext);
      g.update(lengths);
    }
    g.digestInto(digest);
    const d = digest;
    const m = keystreamBlock;
    for (let i = 0; i < BLOCK; i++) d[i]! ^= m[i]!;
    m.fill(0);
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
  }

  private checkLive(): void {
    if (this.disposed) throw new Error('AES-GCM key used after dispose');
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    this.checkLive();
    this.start(nonce);
    const n = plaintext.length;
    const out = new Uint8Array(n + TAG_LENGTH);
    if (n <= SMALL_RECORD_LENGTH) {
      const work = smallRecord.subarray(0, n);
      work.set(plaintext);
      unsafe.ctr32(this.xk, false, counter, work, work);
      out.set(work);
      out.set(this.tag(aad, work), n);
      return out;
    }
    const ciphertext = out.subarray(0, n);
    unsafe.ctr32(this.xk, false, counter, aligned(plaintext), ciphertext);
    out.set(this.tag(aad, ciphertext), n);
    return out;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    this.checkLive();
    if (ciphertextAndTag.length < TAG_LENGTH) return null;
    this.start(nonce);
    const n = ciphertextAndTag.length - TAG_LENGTH;
    const receivedTag = ciphertextAndTag.subarray(n);
    if (n <= SMALL_RECORD_LENGTH) {
      const work = smallRecord.subarray(0, n);
      work.set(ciphertextAndTag.subarray(0, n));
      // Authenticate before decrypting anything.
      if (!constantTimeEqual(this.tag(aad, work), receivedTag)) return null;
      unsafe.ctr32(this.xk, false, counter, work, work);
      const plaintext = work.slice();
      work.fill(0);
      return plaintext;
    }
    const ciphertext = aligned(ciphertextAndTag.subarray(0, n));
    if (!constantTimeEqual(this.tag(aad, ciphertext), receivedTag)) return null;
    const plaintext = new Uint8Array(n);
    unsafe.ctr32(this.xk, false, counter, ciphertext, plaintext);
    return plaintext;
  }
}
