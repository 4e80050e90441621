import { writeUint32BE } from '../codec/bytes.js';

/**
 * SHA-256 (FIPS 180-4 §6.2) with nothing allocated once a state exists: the state is eight
 * words in an Int32Array, the partial block a 64-byte array, both made with the object (at
 * that size V8 keeps them inside the heap, with no ArrayBuffer of their own), and the
 * message schedule one array shared by every state (hashing is synchronous).
 *
 * Why ours and not noble's (which the rest of puretls uses for SHA-2): a TLS 1.2 handshake
 * is a few dozen compressions, as HMACs of the PRF and digests of the transcript, and
 * noble allocates around each one: an array of the eight state words to copy or read a
 * state, a DataView for each output buffer and each input of a whole block, a subarray for
 * each input that crosses a block boundary. That was 732 bytes per HMAC, 4.1 KB of the
 * 26 KB a resumed handshake allocated (README, "Why SHA-256 is ours"). The compression is
 * the same code either way; what differs is what sits around it.
 *
 * Tested against node:crypto and noble (test/crypto/sha256.test.ts), and through the HMAC
 * and PRF tests.
 */

export const SHA256_BLOCK_LENGTH = 64;
export const SHA256_OUTPUT_LENGTH = 32;

/** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
// prettier-ignore
const K = Int32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
);

/** FIPS 180-4 §5.3.3: the initial hash value. */
const IV = Int32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);

/**
 * The message schedule, shared: only its last 16 words are ever needed, so it is a ring of
 * 16 (word t at t mod 16). It holds words of the message (key blocks too), so it is wiped
 * after each use. On an ArrayBuffer of its own: `new Int32Array(16)` (64 bytes) would be
 * kept inside V8's heap object, and compress measured 20% slower reading it that way.
 */
const W = new Int32Array(new ArrayBuffer(64));

/**
 * FIPS 180-4 §6.2.2: one 64-byte block of `data` at `at` into `state`. The schedule is
 * computed as the rounds need it, in a ring of 16 words, and Ch and Maj are written in
 * their three-operation forms, g ^ (e & (f ^ g)) and (a & b) | (c & (a | b)), equal to
 * §4.1.2's. Per block, hashing 64 KiB: 251-257 ns against 320-341 with a separate 64-word
 * schedule and the textbook Ch and Maj (noble: 323-337). Written out on purpose, each
 * measured: the round in both loops (one loop branching on t read 299-301 ns against
 * 248-254), and Σ and σ inline (as four small functions, 288 against 264).
 */
function compress(state: Int32Array, data: Uint8Array, at: number): void {
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  let e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  // Rounds 0-15: the words of the block.
  for (let t = 0; t < 16; t++, at += 4) {
    const w = (data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!;
    W[t] = w;
    const t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + (g ^ (e & (f ^ g))) + K[t]! + w) | 0;
    const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) | (c & (a | b)))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  // Rounds 16-63: W_t = σ1(W_t-2) + W_t-7 + σ0(W_t-15) + W_t-16, written over W_t-16.
  for (let t = 16; t < 64; t++) {
    const w15 = W[(t - 15) & 15]!;
    const w2 = W[(t - 2) & 15]!;
    const w = ((((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10)) + W[(t - 7) & 15]! + (((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3)) + W[t & 15]!) | 0;
    W[t & 15] = w;
    const t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + (g ^ (e & (f ^ g))) + K[t]! + w) | 0;
    const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) | (c & (a | b)))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/** A running SHA-256. Reuse it with `reset` or `copyFrom`; `wipe` when what it absorbed is secret. */
export class Sha256 {
  private readonly state = new Int32Array(8);
  /** The bytes of an unfinished block, from 0 to `buffered`. */
  private readonly block = new Uint8Array(SHA256_BLOCK_LENGTH);
  private buffered = 0;
  /** Bytes absorbed in all (FIPS 180-4 allows up to 2^64 bits; a double counts exactly to 2^53 bytes). */
  private length = 0;

  constructor() {
    this.state.set(IV);
  }

  /** The initial state again, whatever was absorbed wiped. */
  reset(): this {
    this.state.set(IV);
    this.block.fill(0);
    this.buffered = 0;
    this.length = 0;
    return this;
  }

  /** This state becomes a copy of `other`'s (a fork of a running hash, or a keyed HMAC state). */
  copyFrom(other: Sha256): this {
    this.state.set(other.state);
    this.block.set(other.block);
    this.buffered = other.buffered;
    this.length = other.length;
    return this;
  }

  update(data: Uint8Array): this {
    const n = data.length;
    const block = this.block;
    let at = 0;
    let buffered = this.buffered;
    this.length += n;
    if (buffered > 0) {
      const take = Math.min(SHA256_BLOCK_LENGTH - buffered, n);
      for (let i = 0; i < take; i++) block[buffered + i] = data[i]!;
      buffered += take;
      at = take;
      if (buffered < SHA256_BLOCK_LENGTH) {
        this.buffered = buffered;
        return this; // nothing compressed: the schedule holds nothing of this input
      }
      compress(this.state, block, 0);
      buffered = 0;
    }
    const compressed = at > 0 || n >= SHA256_BLOCK_LENGTH;
    for (; at + SHA256_BLOCK_LENGTH <= n; at += SHA256_BLOCK_LENGTH) compress(this.state, data, at);
    while (at < n) block[buffered++] = data[at++]!;
    this.buffered = buffered;
    if (compressed) W.fill(0);
    return this;
  }

  /**
   * FIPS 180-4 §5.1.1 padding, then the digest into `out` from `at`. The state is finished
   * afterwards: `reset` or `copyFrom` before absorbing again. The partial block and the
   * shared schedule are wiped; the state words are the digest, left for `wipe` or reuse.
   */
  digestInto(out: Uint8Array, at = 0): void {
    if (out.length - at < SHA256_OUTPUT_LENGTH) throw new RangeError('SHA-256 output needs 32 bytes');
    const block = this.block;
    const state = this.state;
    let used = this.buffered;
    block[used++] = 0x80;
    if (used > SHA256_BLOCK_LENGTH - 8) {
      block.fill(0, used);
      compress(state, block, 0);
      used = 0;
    }
    block.fill(0, used, SHA256_BLOCK_LENGTH - 8);
    const bits = this.length * 8;
    writeUint32BE(block, 56, Math.floor(bits / 0x100000000));
    writeUint32BE(block, 60, bits >>> 0); // ToUint32 is the value modulo 2^32
    compress(state, block, 0);
    for (let i = 0; i < 8; i++) writeUint32BE(out, at + 4 * i, state[i]!);
    block.fill(0);
    W.fill(0);
    this.buffered = 0;
  }

  /** Zeroes everything this state holds. */
  wipe(): void {
    this.state.fill(0);
    this.block.fill(0);
    this.buffered = 0;
    this.length = 0;
  }
}

/** Released states kept for `takeSha256`; a burst of handshakes leaves no more than this behind. */
const MAX_SPARE = 128;
const spare: Sha256[] = [];

/**
 * A state at the start, a released one if there is one. A handshake holds three (its
 * transcript, and its master secret's keyed HMAC states) until both Finished messages are done.
 */
export function takeSha256(): Sha256 {
  return spare.pop()?.reset() ?? new Sha256();
}

/** Wipes `h` and keeps it for `takeSha256`; the caller must not use it again. */
export function releaseSha256(h: Sha256): void {
  h.wipe();
  if (spare.length < MAX_SPARE) spare.push(h);
}
