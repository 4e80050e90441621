/**
 * The AES block cipher (FIPS 197) with 1.25 KiB of tables, for the few blocks of a
 * handshake-sized record; gcm.ts keeps noble's CTR for records over 1 KiB.
 *
 * Why this primitive is ours (figures in the README, "Why GHASH and small-record AES are
 * ours"): noble's AES looks up two 256 KiB tables and a 128 KiB S-box (two byte lanes per
 * lookup), which is fast while they stay in the CPU's caches, as in a bulk transfer or a
 * benchmark loop. A server resuming sessions encrypts about ten blocks per handshake
 * between a socket read, a GC and a hundred other functions, and by then those tables are
 * out of the caches: measured over sockets, noble's `encrypt` and key expansion cost 15–20
 * µs per resumption where the same calls take 3–4 µs in a loop. One 1 KiB T-table (rotated
 * for the other three columns, as OpenSSL's `AES_encrypt` with its small tables) and the
 * 256-byte S-box span 20 cache lines, so a cold start costs little.
 *
 * Round keys are laid out as noble's `expandKeyLE` lays them out (each word the
 * little-endian reading of four bytes), so noble's `ctr32` runs on them for bulk records.
 * Bytes are read and written one at a time: no alignment is needed and the platform's
 * byte order does not matter. Only the forward cipher is here: GCM needs no other.
 *
 * Like every table-driven AES (noble's, OpenSSL's without AES-NI), its table indexes
 * depend on the key and the data, so it is not free of cache-timing effects; its tables
 * span 20 cache lines where noble's span over ten thousand.
 *
 * Tested against FIPS 197 Appendix C and noble's expandKeyLE, encryptBlock and ctr32 on
 * random inputs (test/crypto/aes-compact.test.ts), and through AES-GCM against the GCM
 * vectors and node:crypto.
 */

/** x·{02} in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS 197 §4.2, xtime). */
const xtime = (b: number): number => ((b << 1) ^ ((b >>> 7) * 0x1b)) & 0xff;

/** The S-box (FIPS 197 §5.1.1): the inverse in GF(2^8), then the affine transform. */
const SBOX = (() => {
  // Powers of the generator {03} list every non-zero element; the inverse of g^i is g^(255-i).
  const power = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++, x ^= xtime(x)) power[i] = x;
  const box = new Uint8Array(256);
  box[0] = 0x63;
  for (let i = 0; i < 255; i++) {
    const inverse = power[(255 - i) % 255]!;
    let s = inverse;
    for (let r = 1; r < 5; r++) s ^= ((inverse << r) | (inverse >>> (8 - r))) & 0xff;
    box[power[i]!] = s ^ 0x63;
  }
  return box;
})();

/**
 * T[x] = MixColumns applied to the column (S(x), 0, 0, 0), as a little-endian word:
 * bytes {02}·S(x), S(x), S(x), {03}·S(x). The other three columns' tables are this one
 * rotated by 8, 16 and 24 bits.
 */
const T = (() => {
  const t = new Int32Array(256);
  for (let x = 0; x < 256; x++) {
    const s = SBOX[x]!;
    const s2 = xtime(s);
    t[x] = s2 | (s << 8) | (s << 16) | ((s2 ^ s) << 24);
  }
  return t;
})();

const rotl8 = (w: number): number => (w << 8) | (w >>> 24);
const rotl16 = (w: number): number => (w << 16) | (w >>> 16);
const rotl24 = (w: number): number => (w << 24) | (w >>> 8);

/** A column of SubBytes∘ShiftRows∘MixColumns: byte 0 of a, 1 of b, 2 of c, 3 of d. */
const mixed = (a: number, b: number, c: number, d: number): number =>
  T[a & 0xff]! ^ rotl8(T[(b >>> 8) & 0xff]!) ^ rotl16(T[(c >>> 16) & 0xff]!) ^ rotl24(T[d >>> 24]!);

/** A column of the last round, SubBytes∘ShiftRows only. */
const substituted = (a: number, b: number, c: number, d: number): number =>
  SBOX[a & 0xff]! | (SBOX[(b >>> 8) & 0xff]! << 8) | (SBOX[(c >>> 16) & 0xff]! << 16) | (SBOX[d >>> 24]! << 24);

/** SubWord (FIPS 197 §5.2) of a little-endian word. */
const subWord = (w: number): number => substituted(w, w, w, w);

const readWordLE = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

/**
 * The round keys of a 16-, 24- or 32-byte key (FIPS 197 §5.2, KeyExpansion), 44, 52 or 60
 * words in noble's layout. Written into `out` when it is given (of exactly that length).
 */
export function expandAesKey(key: Uint8Array, out?: Uint32Array): Uint32Array {
  const nk = key.length / 4;
  if (nk !== 4 && nk !== 6 && nk !== 8) throw new RangeError('AES needs a 16-, 24- or 32-byte key');
  const length = key.length + 28;
  const xk = out ?? new Uint32Array(length);
  if (xk.length !== length) throw new RangeError('AES round keys: wrong output length');
  for (let i = 0; i < nk; i++) xk[i] = readWordLE(key, 4 * i);
  let rcon = 1;
  for (let i = nk; i < length; i++) {
    let t = xk[i - 1]!;
    if (i % nk === 0) {
      // RotWord is a right rotation of a little-endian word; Rcon goes in its first byte.
      t = subWord((t >>> 8) | (t << 24)) ^ rcon;
      rcon = xtime(rcon);
    } else if (nk === 8 && i % nk === 4) {
      t = subWord(t);
    }
    xk[i] = xk[i - nk]! ^ t;
  }
  return xk;
}

/** Where `encryptWords` leaves its result: no object per block. */
const state = new Int32Array(4);

/** The cipher (FIPS 197 §5.1) on four little-endian words, into `state`. */
function encryptWords(xk: Uint32Array, s0: number, s1: number, s2: number, s3: number): void {
  s0 ^= xk[0]!;
  s1 ^= xk[1]!;
  s2 ^= xk[2]!;
  s3 ^= xk[3]!;
  const last = xk.length - 4;
  let k = 4;
  for (; k < last; k += 4) {
    const t0 = xk[k]! ^ mixed(s0, s1, s2, s3);
    const t1 = xk[k + 1]! ^ mixed(s1, s2, s3, s0);
    const t2 = xk[k + 2]! ^ mixed(s2, s3, s0, s1);
    const t3 = xk[k + 3]! ^ mixed(s3, s0, s1, s2);
    s0 = t0;
    s1 = t1;
    s2 = t2;
    s3 = t3;
  }
  state[0] = xk[k]! ^ substituted(s0, s1, s2, s3);
  state[1] = xk[k + 1]! ^ substituted(s1, s2, s3, s0);
  state[2] = xk[k + 2]! ^ substituted(s2, s3, s0, s1);
  state[3] = xk[k + 3]! ^ substituted(s3, s0, s1, s2);
}

/** `output` (16 bytes) = E(K, `input`); the two may be the same array. */
export function encryptAesBlock(xk: Uint32Array, input: Uint8Array, output: Uint8Array): void {
  encryptWords(xk, readWordLE(input, 0), readWordLE(input, 4), readWordLE(input, 8), readWordLE(input, 12));
  for (let i = 0; i < 16; i++) output[i] = state[i >>> 2]! >>> (8 * (i & 3));
  state.fill(0);
}

/**
 * CTR mode with a 32-bit big-endian counter in the last four bytes of the block (GCM's
 * GCTR, NIST SP 800-38D §6.5): `output[i] = input[i] ^ keystream[i]` for the first
 * `input.length` bytes, starting at counter block `counter`, which is advanced past the
 * blocks used (modulo 2^32; noble's ctr32 does the same but does not count a partial last
 * block). `output` may be `input`.
 */
export function aesCtr32(xk: Uint32Array, counter: Uint8Array, input: Uint8Array, output: Uint8Array): void {
  const n = input.length;
  if (output.length < n) throw new RangeError('AES-CTR output is too short');
  const c0 = readWordLE(counter, 0);
  const c1 = readWordLE(counter, 4);
  const c2 = readWordLE(counter, 8);
  let count = ((counter[12]! << 24) | (counter[13]! << 16) | (counter[14]! << 8) | counter[15]!) >>> 0;
  for (let at = 0; at < n; at += 16) {
    // The counter word read little-endian, as the cipher takes it.
    encryptWords(xk, c0, c1, c2, (count >>> 24) | ((count >>> 8) & 0xff00) | ((count & 0xff00) << 8) | (count << 24));
    count = (count + 1) >>> 0;
    const end = Math.min(16, n - at);
    for (let i = 0; i < end; i++) output[at + i] = input[at + i]! ^ (state[i >>> 2]! >>> (8 * (i & 3)));
  }
  state.fill(0);
  counter[12] = count >>> 24;
  counter[13] = count >>> 16;
  counter[14] = count >>> 8;
  counter[15] = count;
}
