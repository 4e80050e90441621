import { unsafe } from '@noble/ciphers/aes.js';
import { copyBytes, writeUint32BE } from '../codec/bytes.js';
import { aesCtr32, encryptAesBlock, expandAesKey } from './aes-compact.js';
import { CompactGhash } from './ghash.js';
import { AEAD_TAG_LENGTH, constantTimeEqual, sealOutput, type Aead } from './provider.js';

/**
 * AES-GCM (NIST SP 800-38D) with the key schedule kept between records.
 *
 * noble's `gcm(key, nonce, aad)` expands the AES key, derives the hash key H and builds
 * the GHASH table on every call: that fixed cost is most of the price of a small TLS record
 * (Finished, alerts, short requests). A TLS connection seals thousands of records under one
 * key, so we do that work once per key and reuse it. GHASH is ours (ghash.ts: a 512-byte
 * table per key instead of noble's tens of kilobytes, faster to build and to run). So are
 * the key schedule and the block cipher of records up to 1 KiB (aes-compact.ts: 1.25 KiB of
 * tables, which stay cheap when a handshake has let noble's 640 KiB of tables fall out of
 * the CPU's caches); longer records use noble's CTR (`unsafe.ctr32`), faster on warm tables,
 * on the same round keys. This file assembles GCM from them, and it is checked against
 * noble's own `gcm`, node:crypto and published test vectors.
 */

const BLOCK = 16;
const TAG_LENGTH = AEAD_TAG_LENGTH;

/**
 * Records up to this long go through aes-compact.ts; longer ones through noble's CTR. At
 * this length the two cost about the same when the tables are cold; past it noble's, on
 * tables a long record warms, is up to 1.6 times faster.
 */
const SMALL_RECORD_LENGTH = 1024;

/*
 * Working blocks, shared by every key: seal and open run synchronously from start to end,
 * so no two ever use them at once. Besides saving allocations, they live in one
 * ArrayBuffer that exists already: noble's CTR reads the counter through a Uint32Array
 * view, and viewing a fresh small array makes V8 create an ArrayBuffer for it, which costs
 * more than an AES block.
 */
const scratch = new ArrayBuffer(5 * BLOCK);
/** J0, then the CTR counter. */
const counter = new Uint8Array(scratch, 0, BLOCK);
/** E(K, J0), which masks the tag; wiped after each use. Also where H = E(K, 0^128) is made. */
const keystreamBlock = new Uint8Array(scratch, BLOCK, BLOCK);
const lengths = new Uint8Array(scratch, 2 * BLOCK, BLOCK);
const digest = new Uint8Array(scratch, 3 * BLOCK, BLOCK);
/** Encrypted to make the tag mask (CTR over zeros is the keystream); never written. */
const zeroBlock = new Uint8Array(scratch, 4 * BLOCK, BLOCK);

/**
 * Round keys of retired keys, wiped, kept for the next key of the same size (44 words for
 * AES-128, 60 for AES-256): as a GHASH table (ghash.ts), a fresh Uint32Array of 176 or 240
 * bytes gets an ArrayBuffer of its own, and every connection makes two keys and retires
 * them when it ends. At most MAX_SPARE_ROUND_KEYS of each size (23 KiB in all) are kept.
 */
const MAX_SPARE_ROUND_KEYS = 64;
const spareRoundKeys: Record<number, Uint32Array[]> = { 44: [], 60: [] };
const NO_ROUND_KEYS = new Uint32Array(0);

/** noble's word-wise helpers read through Uint32Array views, so inputs must be 4-byte aligned. */
function aligned(b: Uint8Array): Uint8Array {
  return b.byteOffset % 4 === 0 ? b : copyBytes(b);
}

/** The GCM length block: bit lengths of A and C as 64-bit big-endian integers (TLS's fit in 32 bits). */
function writeBitLengths(out: Uint8Array, aadLength: number, ciphertextLength: number): void {
  out.fill(0);
  writeUint32BE(out, 4, aadLength * 8);
  writeUint32BE(out, 12, ciphertextLength * 8);
}

export class AesGcm implements Aead {
  private xk: Uint32Array;
  private readonly ghash: CompactGhash;
  private disposed = false;

  constructor(key: Uint8Array) {
    if (key.length !== 16 && key.length !== 32) throw new RangeError('AES-GCM needs a 16- or 32-byte key');
    this.xk = expandAesKey(key, spareRoundKeys[key.length + 28]!.pop());
    const h = keystreamBlock;
    encryptAesBlock(this.xk, zeroBlock, h); // H = E(K, 0^128)
    this.ghash = new CompactGhash(h); // reads H into its table
    h.fill(0);
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
    aesCtr32(this.xk, c, zeroBlock, keystreamBlock);
  }

  /** GHASH(A, C) XOR E(K, J0) into `digest`; the mask is wiped once used. */
  private tag(aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    // GHASH pads A and C to whole blocks separately (SP 800-38D §7.1 step 5), as update() does.
    writeBitLengths(lengths, aad.length, ciphertext.length);
    const g = this.ghash.reset();
    g.update(aad);
    g.update(ciphertext);
    g.update(lengths);
    g.digestInto(digest);
    const d = digest;
    const m = keystreamBlock;
    for (let i = 0; i < BLOCK; i++) d[i]! ^= m[i]!;
    m.fill(0);
    return d;
  }

  /** The key schedule and the GHASH table are the key in other forms: wipe them (and keep them for another key). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const xk = this.xk;
    this.xk = NO_ROUND_KEYS;
    xk.fill(0);
    const spares = spareRoundKeys[xk.length]!;
    if (spares.length < MAX_SPARE_ROUND_KEYS) spares.push(xk);
    this.ghash.destroy();
  }

  private checkLive(): void {
    if (this.disposed) throw new Error('AES-GCM key used after dispose');
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, into?: Uint8Array): Uint8Array {
    this.checkLive();
    const n = plaintext.length;
    const out = sealOutput('AES-GCM', n, into);
    this.start(nonce);
    const ciphertext = out.subarray(0, n);
    if (n <= SMALL_RECORD_LENGTH) {
      aesCtr32(this.xk, counter, plaintext, ciphertext);
      out.set(this.tag(aad, ciphertext), n);
      return out;
    }
    // noble's CTR writes through a Uint32Array view; a record's fragment starts at byte 13.
    const target = ciphertext.byteOffset % 4 === 0 ? ciphertext : new Uint8Array(n);
    unsafe.ctr32(this.xk, false, counter, aligned(plaintext), target);
    if (target !== ciphertext) ciphertext.set(target);
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
      const ciphertext = ciphertextAndTag.subarray(0, n);
      // Authenticate before decrypting anything.
      if (!constantTimeEqual(this.tag(aad, ciphertext), receivedTag)) return null;
      const plaintext = new Uint8Array(n);
      aesCtr32(this.xk, counter, ciphertext, plaintext);
      return plaintext;
    }
    const ciphertext = aligned(ciphertextAndTag.subarray(0, n));
    if (!constantTimeEqual(this.tag(aad, ciphertext), receivedTag)) return null;
    const plaintext = new Uint8Array(n);
    unsafe.ctr32(this.xk, false, counter, ciphertext, plaintext);
    return plaintext;
  }
}
