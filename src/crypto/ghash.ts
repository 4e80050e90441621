/**
 * GHASH (NIST SP 800-38D §6.4) by Shoup's 4-bit tables, 512 bytes per key, a byte per step.
 *
 * Why this one primitive is ours (figures in the README, "Why GHASH is ours", from
 * bench/primitives.ts): noble's GHASH builds, for every key, a table of `{s0,s1,s2,s3}`
 * objects (256 to 4096 of them, plus 128 doubling steps) that costs 10–150 µs and 34 KB to
 * over 200 KB of heap, and it copies each input into a fresh buffer. A TLS key of a resumed
 * handshake seals two or three records of 12–100 bytes, so that table was most of the cost
 * of the key, and with two keys per connection most of the heap of an idle connection. This
 * table is 32 multiples of H in one Int32Array, built in about a microsecond, and per block
 * it also measured faster than every noble table width, bulk included, so gcm.ts uses it
 * for every key.
 *
 * Tested against noble's GHASH on random vectors and through AES-GCM against the GCM
 * test vectors and node:crypto (test/crypto/ghash.test.ts, test/vectors/aead.test.ts).
 *
 * The method is OpenSSL's `gcm_init_4bit` and its `gcm_ghash_4bit` (crypto/modes/gcm128.c
 * and the x86_64 assembly, which adds the H·x^4 table and the 8-bit remainder table so
 * that a step takes a whole byte) in 32-bit words. Like every table-driven GHASH without a
 * carry-less multiply instruction (noble's, OpenSSL's fallback), its table indexes depend
 * on the hash state, so it is not free of cache-timing effects; its tables span 24 cache
 * lines (512 bytes per key, 1 KiB shared), where noble's span kilobytes of objects.
 */

const BLOCK = 16;

/** v = v·x in GCM's bit order: a right shift by one, x^128 reduced back in as 0xe1 at the top. */
function timesX(v: Int32Array): void {
  const carry = v[3]! & 1;
  v[3] = (v[3]! >>> 1) | (v[2]! << 31);
  v[2] = (v[2]! >>> 1) | (v[1]! << 31);
  v[1] = (v[1]! >>> 1) | (v[0]! << 31);
  v[0] = (v[0]! >>> 1) ^ (0xe1000000 & -carry);
}

/**
 * What the eight bits shifted out of the bottom of the 128-bit accumulator fold back into
 * its first word when it is multiplied by x^8 (OpenSSL's `rem_8bit`, here derived rather
 * than copied): entry b is the first word of b·x^8 reduced, for b in the last byte.
 */
const REM_8BIT = (() => {
  const rem = new Int32Array(256);
  const v = new Int32Array(4);
  for (let b = 0; b < 256; b++) {
    v.fill(0);
    v[3] = b;
    for (let i = 0; i < 8; i++) timesX(v);
    rem[b] = v[0]!;
  }
  return rem;
})();

/** Words 0..63 of the table: n·H for a nibble n; words 64..127: n·H·x^4 (512 bytes in all). */
const TIMES_X4 = 64;
const TABLE_WORDS = 2 * TIMES_X4;

/**
 * Tables of destroyed keys, wiped, kept for the next key: a 512-byte Int32Array gets an
 * ArrayBuffer of its own, which V8 makes in 1–3 µs, and every connection makes two keys
 * and retires them when it ends. At most MAX_SPARE_TABLES (32 KiB) are kept.
 */
const MAX_SPARE_TABLES = 64;
const spareTables: Int32Array[] = [];
const NO_TABLE = new Int32Array(0);

/**
 * An incremental GHASH bound to one hash key H. As noble's GHASH: each `update` is one
 * segment, zero-padded to a whole block (AAD, ciphertext and the length block are fed
 * separately), `digestInto` writes the 16-byte result, `reset` starts a new message with
 * the same key.
 */
export class CompactGhash {
  /**
   * Entry n of the first half is n·H, where the nibble's top bit stands for x^0 (GCM puts
   * the lowest power first); entry n of the second half is n·H·x^4, so a whole byte is one
   * step (OpenSSL's `Htable` and `Hshr4`, as its gcm_ghash_4bit assembly uses them).
   */
  private table: Int32Array = spareTables.pop() ?? new Int32Array(TABLE_WORDS);
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private destroyed = false;

  /** `h` is the hash key E(K, 0^128); it is read, not kept. */
  constructor(h: Uint8Array) {
    if (h.length !== BLOCK) throw new RangeError('GHASH needs a 16-byte hash key');
    const t = this.table;
    // gcm_init_4bit: 8 → H, 4 → H·x, 2 → H·x^2, 1 → H·x^3, then the same four times x^4
    // for the second half, each one bit further right; every other entry is an XOR of those.
    const v = t.subarray(0, 4); // entry 0 stays zero; use it as the running value, then clear it
    v[0] = readWord(h, 0);
    v[1] = readWord(h, 4);
    v[2] = readWord(h, 8);
    v[3] = readWord(h, 12);
    for (let half = 0; half <= TIMES_X4; half += TIMES_X4) {
      for (let i = 8; i > 0; i >>= 1) {
        t.copyWithin(half + 4 * i, 0, 4);
        timesX(v);
      }
    }
    v.fill(0);
    for (let half = 0; half <= TIMES_X4; half += TIMES_X4) {
      for (let base = 2; base <= 8; base <<= 1) {
        for (let j = 1; j < base; j++) {
          for (let w = 0; w < 4; w++) t[half + 4 * (base + j) + w] = t[half + 4 * base + w]! ^ t[half + 4 * j + w]!;
        }
      }
    }
  }

  reset(): this {
    this.s0 = this.s1 = this.s2 = this.s3 = 0;
    return this;
  }

  /** Absorbs `data` as whole blocks, the last one zero-padded. */
  update(data: Uint8Array): this {
    if (this.destroyed) throw new Error('GHASH used after destroy');
    const n = data.length;
    const whole = n - (n % BLOCK);
    let i = 0;
    for (; i < whole; i += BLOCK) {
      this.multiply(this.s0 ^ readWord(data, i), this.s1 ^ readWord(data, i + 4), this.s2 ^ readWord(data, i + 8), this.s3 ^ readWord(data, i + 12));
    }
    if (i < n) {
      this.multiply(
        this.s0 ^ readPartialWord(data, i, n),
        this.s1 ^ readPartialWord(data, i + 4, n),
        this.s2 ^ readPartialWord(data, i + 8, n),
        this.s3 ^ readPartialWord(data, i + 12, n),
      );
    }
    return this;
  }

  /** The 16-byte GHASH of what was absorbed since the last reset. */
  digestInto(out: Uint8Array): void {
    if (this.destroyed) throw new Error('GHASH used after destroy');
    writeWord(out, 0, this.s0);
    writeWord(out, 4, this.s1);
    writeWord(out, 8, this.s2);
    writeWord(out, 12, this.s3);
  }

  /** The table is H in another form: wipe it (it may serve another key), and the running state. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const table = this.table;
    this.table = NO_TABLE;
    // All zeroes is also what the constructor relies on: it writes every entry but two zero ones.
    table.fill(0);
    if (spareTables.length < MAX_SPARE_TABLES) spareTables.push(table);
    this.reset();
  }

  /**
   * state = X·H (gcm_gmult_4bit, a byte per step): the bytes of X from the last (highest
   * powers of x) to the first; for each, the accumulator is multiplied by x^8 (shifted right
   * a byte, the byte shifted out reduced back in at the top) and the byte's multiple of H is
   * added as (high nibble)·H + (low nibble)·H·x^4.
   */
  private multiply(x0: number, x1: number, x2: number, x3: number): void {
    const t = this.table;
    const rem = REM_8BIT;
    let z0 = 0;
    let z1 = 0;
    let z2 = 0;
    let z3 = 0;
    let x = x3;
    for (let k = 0; k < 16; k++) {
      if (k === 4) x = x2;
      else if (k === 8) x = x1;
      else if (k === 12) x = x0;
      const r = rem[z3 & 0xff]!;
      z3 = (z3 >>> 8) | (z2 << 24);
      z2 = (z2 >>> 8) | (z1 << 24);
      z1 = (z1 >>> 8) | (z0 << 24);
      z0 = (z0 >>> 8) ^ r;
      const lo = TIMES_X4 + ((x & 0x0f) << 2);
      const hi = (x & 0xf0) >>> 2;
      x >>>= 8;
      z0 ^= t[lo]! ^ t[hi]!;
      z1 ^= t[lo + 1]! ^ t[hi + 1]!;
      z2 ^= t[lo + 2]! ^ t[hi + 2]!;
      z3 ^= t[lo + 3]! ^ t[hi + 3]!;
    }
    this.s0 = z0;
    this.s1 = z1;
    this.s2 = z2;
    this.s3 = z3;
  }
}

function readWord(b: Uint8Array, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

/** A big-endian word of the last, partial block: bytes at or past `end` read as zero. */
function readPartialWord(b: Uint8Array, at: number, end: number): number {
  let w = 0;
  for (let k = 0; k < 4; k++) w = (w << 8) | (at + k < end ? b[at + k]! : 0);
  return w;
}

function writeWord(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}
