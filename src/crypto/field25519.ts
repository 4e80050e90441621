/**
 * Arithmetic modulo p = 2^255 - 19 for X25519 (RFC 7748), in 12 limbs of 22 bits held in
 * a Float64Array: a = Σ a[i]·2^(22i), 264 bits for a 255-bit field. Why in doubles:
 * JavaScript multiplies integers exactly only up to 2^53, and V8 keeps such arrays
 * unboxed. Why 22 bits: a column of a product is 12 products of two limbs, and limbs of up
 * to 2^24.5 in magnitude (a carried element's limbs are within ±(2^22 + 2^14), so sums
 * and differences of five of them) keep it under 2^53: 12·2^49 < 2^52.6. Sixteen limbs of
 * 16 bits (TweetNaCl's `gf`, which this file used until 2026-12) need 256 products per
 * multiplication where twelve need 144: in a loop, a product about 85 ns against 125 and a
 * square 80 against 103; a shared secret 266 against 375 µs in bench/primitives.ts (README,
 * "Why X25519 is ours").
 *
 * The top limb reaches 9 bits past 2^255, so what leaves it is folded back with
 * 2^264 ≡ 2^9·19 = 9728 (mod p). A column times 9728 would pass 2^53, so a product
 * carries its upper columns into limbs before folding them. mul and sqr are written out
 * as their 23 column sums Σ a_i·b_(k-i), each one expression on locals, and carried in
 * locals before anything is stored. The columns are mechanical on purpose: the bodies of
 * mul and sqr are written by test/crypto/field25519-columns.ts (a test checks that this
 * file holds what it writes), and checked against BigInt arithmetic on random and extreme
 * limbs (test/crypto/x25519-limbs.test.ts).
 *
 * Nothing here branches on or indexes by a value: limbs are only added, multiplied and
 * carried with `Math.floor`, and `swap` exchanges by mask, so the time of every function
 * depends on nothing but its call (constant-time by construction).
 *
 * Limbs may be negative or a little over 22 bits between operations (add and sub do not
 * carry); mul, sqr and mulSmallAdd carry their result, and toBytes reduces it fully. A
 * caller keeps every input of mul and sqr within ±2^24.5 per limb: no more than five
 * carried elements added or subtracted (edwards25519.ts's doubling, the most, multiplies
 * a sum of three by one of four; the ladder at most sums of two).
 */

export type FieldElement = Float64Array;

export const LIMBS = 12;

const RADIX = 4194304; // 2^22
const TWO_TO_MINUS_22 = 1 / RADIX;
/** 2^13: a reduced value's top limb holds its bits 242 to 254 (255 - 11·22 = 13 bits). */
const TOP_RADIX = 8192;

export function fieldElement(small = 0): FieldElement {
  const e = new Float64Array(LIMBS);
  e[0] = small;
  return e;
}

export function add(o: FieldElement, a: FieldElement, b: FieldElement): void {
  for (let i = 0; i < LIMBS; i++) o[i] = a[i]! + b[i]!;
}

export function sub(o: FieldElement, a: FieldElement, b: FieldElement): void {
  for (let i = 0; i < LIMBS; i++) o[i] = a[i]! - b[i]!;
}

/** sum = a + b and difference = a - b in one pass (the ladder takes both, three times a step). */
export function addSub(sum: FieldElement, difference: FieldElement, a: FieldElement, b: FieldElement): void {
  for (let i = 0; i < LIMBS; i++) {
    const x = a[i]!, y = b[i]!;
    sum[i] = x + y;
    difference[i] = x - y;
  }
}

/**
 * One carry pass: every limb to [0, 2^22) but the first, and what leaves the top (a
 * multiple of 2^264) folded into the first as 9728 times as much. Two passes leave every
 * limb small enough for a product.
 */
function carry(o: FieldElement): void {
  let c = 0;
  for (let i = 0; i < LIMBS; i++) {
    const v = o[i]! + c;
    c = Math.floor(v * TWO_TO_MINUS_22); // exact: a power of two
    o[i] = v - c * RADIX;
  }
  o[0]! += 9728 * c;
}

/** o = a·b. o may be a or b: both are read into locals before o is written. */
export function mul(o: FieldElement, a: FieldElement, b: FieldElement): void {
  const a0 = a[0]!, a1 = a[1]!, a2 = a[2]!, a3 = a[3]!, a4 = a[4]!, a5 = a[5]!;
  const a6 = a[6]!, a7 = a[7]!, a8 = a[8]!, a9 = a[9]!, a10 = a[10]!, a11 = a[11]!;
  const b0 = b[0]!, b1 = b[1]!, b2 = b[2]!, b3 = b[3]!, b4 = b[4]!, b5 = b[5]!;
  const b6 = b[6]!, b7 = b[7]!, b8 = b[8]!, b9 = b[9]!, b10 = b[10]!, b11 = b[11]!;
  // Column k of the schoolbook product: Σ a_i·b_(k-i).
  const t0 = a0 * b0;
  const t1 = a0 * b1 + a1 * b0;
  const t2 = a0 * b2 + a1 * b1 + a2 * b0;
  const t3 = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  const t4 = a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0;
  const t5 = a0 * b5 + a1 * b4 + a2 * b3 + a3 * b2 + a4 * b1 + a5 * b0;
  const t6 = a0 * b6 + a1 * b5 + a2 * b4 + a3 * b3 + a4 * b2 + a5 * b1 + a6 * b0;
  const t7 = a0 * b7 + a1 * b6 + a2 * b5 + a3 * b4 + a4 * b3 + a5 * b2 + a6 * b1 + a7 * b0;
  const t8 = a0 * b8 + a1 * b7 + a2 * b6 + a3 * b5 + a4 * b4 + a5 * b3 + a6 * b2 + a7 * b1 + a8 * b0;
  const t9 = a0 * b9 + a1 * b8 + a2 * b7 + a3 * b6 + a4 * b5 + a5 * b4 + a6 * b3 + a7 * b2 + a8 * b1 + a9 * b0;
  const t10 = a0 * b10 + a1 * b9 + a2 * b8 + a3 * b7 + a4 * b6 + a5 * b5 + a6 * b4 + a7 * b3 + a8 * b2 + a9 * b1 + a10 * b0;
  const t11 = a0 * b11 + a1 * b10 + a2 * b9 + a3 * b8 + a4 * b7 + a5 * b6 + a6 * b5 + a7 * b4 + a8 * b3 + a9 * b2 + a10 * b1 + a11 * b0;
  const t12 = a1 * b11 + a2 * b10 + a3 * b9 + a4 * b8 + a5 * b7 + a6 * b6 + a7 * b5 + a8 * b4 + a9 * b3 + a10 * b2 + a11 * b1;
  const t13 = a2 * b11 + a3 * b10 + a4 * b9 + a5 * b8 + a6 * b7 + a7 * b6 + a8 * b5 + a9 * b4 + a10 * b3 + a11 * b2;
  const t14 = a3 * b11 + a4 * b10 + a5 * b9 + a6 * b8 + a7 * b7 + a8 * b6 + a9 * b5 + a10 * b4 + a11 * b3;
  const t15 = a4 * b11 + a5 * b10 + a6 * b9 + a7 * b8 + a8 * b7 + a9 * b6 + a10 * b5 + a11 * b4;
  const t16 = a5 * b11 + a6 * b10 + a7 * b9 + a8 * b8 + a9 * b7 + a10 * b6 + a11 * b5;
  const t17 = a6 * b11 + a7 * b10 + a8 * b9 + a9 * b8 + a10 * b7 + a11 * b6;
  const t18 = a7 * b11 + a8 * b10 + a9 * b9 + a10 * b8 + a11 * b7;
  const t19 = a8 * b11 + a9 * b10 + a10 * b9 + a11 * b8;
  const t20 = a9 * b11 + a10 * b10 + a11 * b9;
  const t21 = a10 * b11 + a11 * b10;
  const t22 = a11 * b11;
  // Columns 12..22 carried into 22-bit limbs first (9728 times a column would pass 2^53),
  // what leaves column 22 (weight 2^506) kept in c.
  let c = Math.floor(t12 * TWO_TO_MINUS_22);
  const h12 = t12 - c * RADIX;
  let h13 = t13 + c; c = Math.floor(h13 * TWO_TO_MINUS_22); h13 -= c * RADIX;
  let h14 = t14 + c; c = Math.floor(h14 * TWO_TO_MINUS_22); h14 -= c * RADIX;
  let h15 = t15 + c; c = Math.floor(h15 * TWO_TO_MINUS_22); h15 -= c * RADIX;
  let h16 = t16 + c; c = Math.floor(h16 * TWO_TO_MINUS_22); h16 -= c * RADIX;
  let h17 = t17 + c; c = Math.floor(h17 * TWO_TO_MINUS_22); h17 -= c * RADIX;
  let h18 = t18 + c; c = Math.floor(h18 * TWO_TO_MINUS_22); h18 -= c * RADIX;
  let h19 = t19 + c; c = Math.floor(h19 * TWO_TO_MINUS_22); h19 -= c * RADIX;
  let h20 = t20 + c; c = Math.floor(h20 * TWO_TO_MINUS_22); h20 -= c * RADIX;
  let h21 = t21 + c; c = Math.floor(h21 * TWO_TO_MINUS_22); h21 -= c * RADIX;
  let h22 = t22 + c; c = Math.floor(h22 * TWO_TO_MINUS_22); h22 -= c * RADIX;
  // Folded down: 2^264 ≡ 9728, and 2^506 ≡ 9728·2^242.
  let r0 = t0 + 9728 * h12;
  let r1 = t1 + 9728 * h13;
  let r2 = t2 + 9728 * h14;
  let r3 = t3 + 9728 * h15;
  let r4 = t4 + 9728 * h16;
  let r5 = t5 + 9728 * h17;
  let r6 = t6 + 9728 * h18;
  let r7 = t7 + 9728 * h19;
  let r8 = t8 + 9728 * h20;
  let r9 = t9 + 9728 * h21;
  let r10 = t10 + 9728 * h22;
  let r11 = t11 + 9728 * c;
  // Two carry passes, as carry() makes, on the locals.
  c = Math.floor(r0 * TWO_TO_MINUS_22); r0 -= c * RADIX; r1 += c;
  c = Math.floor(r1 * TWO_TO_MINUS_22); r1 -= c * RADIX; r2 += c;
  c = Math.floor(r2 * TWO_TO_MINUS_22); r2 -= c * RADIX; r3 += c;
  c = Math.floor(r3 * TWO_TO_MINUS_22); r3 -= c * RADIX; r4 += c;
  c = Math.floor(r4 * TWO_TO_MINUS_22); r4 -= c * RADIX; r5 += c;
  c = Math.floor(r5 * TWO_TO_MINUS_22); r5 -= c * RADIX; r6 += c;
  c = Math.floor(r6 * TWO_TO_MINUS_22); r6 -= c * RADIX; r7 += c;
  c = Math.floor(r7 * TWO_TO_MINUS_22); r7 -= c * RADIX; r8 += c;
  c = Math.floor(r8 * TWO_TO_MINUS_22); r8 -= c * RADIX; r9 += c;
  c = Math.floor(r9 * TWO_TO_MINUS_22); r9 -= c * RADIX; r10 += c;
  c = Math.floor(r10 * TWO_TO_MINUS_22); r10 -= c * RADIX; r11 += c;
  c = Math.floor(r11 * TWO_TO_MINUS_22); r11 -= c * RADIX; r0 += 9728 * c;
  c = Math.floor(r0 * TWO_TO_MINUS_22); r0 -= c * RADIX; r1 += c;
  c = Math.floor(r1 * TWO_TO_MINUS_22); r1 -= c * RADIX; r2 += c;
  c = Math.floor(r2 * TWO_TO_MINUS_22); r2 -= c * RADIX; r3 += c;
  c = Math.floor(r3 * TWO_TO_MINUS_22); r3 -= c * RADIX; r4 += c;
  c = Math.floor(r4 * TWO_TO_MINUS_22); r4 -= c * RADIX; r5 += c;
  c = Math.floor(r5 * TWO_TO_MINUS_22); r5 -= c * RADIX; r6 += c;
  c = Math.floor(r6 * TWO_TO_MINUS_22); r6 -= c * RADIX; r7 += c;
  c = Math.floor(r7 * TWO_TO_MINUS_22); r7 -= c * RADIX; r8 += c;
  c = Math.floor(r8 * TWO_TO_MINUS_22); r8 -= c * RADIX; r9 += c;
  c = Math.floor(r9 * TWO_TO_MINUS_22); r9 -= c * RADIX; r10 += c;
  c = Math.floor(r10 * TWO_TO_MINUS_22); r10 -= c * RADIX; r11 += c;
  c = Math.floor(r11 * TWO_TO_MINUS_22); r11 -= c * RADIX; r0 += 9728 * c;
  o[0] = r0;
  o[1] = r1;
  o[2] = r2;
  o[3] = r3;
  o[4] = r4;
  o[5] = r5;
  o[6] = r6;
  o[7] = r7;
  o[8] = r8;
  o[9] = r9;
  o[10] = r10;
  o[11] = r11;
}

/**
 * o = a², each cross product a_i·a_j (i < j) computed once and doubled. It ends with the
 * same fold and carry lines as mul, on purpose: a shared function taking the folded
 * columns measured 1.4 times slower with 16 limbs (V8 does not inline a call of that
 * many arguments).
 */
export function sqr(o: FieldElement, a: FieldElement): void {
  const a0 = a[0]!, a1 = a[1]!, a2 = a[2]!, a3 = a[3]!, a4 = a[4]!, a5 = a[5]!;
  const a6 = a[6]!, a7 = a[7]!, a8 = a[8]!, a9 = a[9]!, a10 = a[10]!, a11 = a[11]!;
  const t0 = a0 * a0;
  const t1 = 2 * (a0 * a1);
  const t2 = 2 * (a0 * a2) + a1 * a1;
  const t3 = 2 * (a0 * a3 + a1 * a2);
  const t4 = 2 * (a0 * a4 + a1 * a3) + a2 * a2;
  const t5 = 2 * (a0 * a5 + a1 * a4 + a2 * a3);
  const t6 = 2 * (a0 * a6 + a1 * a5 + a2 * a4) + a3 * a3;
  const t7 = 2 * (a0 * a7 + a1 * a6 + a2 * a5 + a3 * a4);
  const t8 = 2 * (a0 * a8 + a1 * a7 + a2 * a6 + a3 * a5) + a4 * a4;
  const t9 = 2 * (a0 * a9 + a1 * a8 + a2 * a7 + a3 * a6 + a4 * a5);
  const t10 = 2 * (a0 * a10 + a1 * a9 + a2 * a8 + a3 * a7 + a4 * a6) + a5 * a5;
  const t11 = 2 * (a0 * a11 + a1 * a10 + a2 * a9 + a3 * a8 + a4 * a7 + a5 * a6);
  const t12 = 2 * (a1 * a11 + a2 * a10 + a3 * a9 + a4 * a8 + a5 * a7) + a6 * a6;
  const t13 = 2 * (a2 * a11 + a3 * a10 + a4 * a9 + a5 * a8 + a6 * a7);
  const t14 = 2 * (a3 * a11 + a4 * a10 + a5 * a9 + a6 * a8) + a7 * a7;
  const t15 = 2 * (a4 * a11 + a5 * a10 + a6 * a9 + a7 * a8);
  const t16 = 2 * (a5 * a11 + a6 * a10 + a7 * a9) + a8 * a8;
  const t17 = 2 * (a6 * a11 + a7 * a10 + a8 * a9);
  const t18 = 2 * (a7 * a11 + a8 * a10) + a9 * a9;
  const t19 = 2 * (a8 * a11 + a9 * a10);
  const t20 = 2 * (a9 * a11) + a10 * a10;
  const t21 = 2 * (a10 * a11);
  const t22 = a11 * a11;
  // Columns 12..22 carried into 22-bit limbs first (9728 times a column would pass 2^53),
  // what leaves column 22 (weight 2^506) kept in c.
  let c = Math.floor(t12 * TWO_TO_MINUS_22);
  const h12 = t12 - c * RADIX;
  let h13 = t13 + c; c = Math.floor(h13 * TWO_TO_MINUS_22); h13 -= c * RADIX;
  let h14 = t14 + c; c = Math.floor(h14 * TWO_TO_MINUS_22); h14 -= c * RADIX;
  let h15 = t15 + c; c = Math.floor(h15 * TWO_TO_MINUS_22); h15 -= c * RADIX;
  let h16 = t16 + c; c = Math.floor(h16 * TWO_TO_MINUS_22); h16 -= c * RADIX;
  let h17 = t17 + c; c = Math.floor(h17 * TWO_TO_MINUS_22); h17 -= c * RADIX;
  let h18 = t18 + c; c = Math.floor(h18 * TWO_TO_MINUS_22); h18 -= c * RADIX;
  let h19 = t19 + c; c = Math.floor(h19 * TWO_TO_MINUS_22); h19 -= c * RADIX;
  let h20 = t20 + c; c = Math.floor(h20 * TWO_TO_MINUS_22); h20 -= c * RADIX;
  let h21 = t21 + c; c = Math.floor(h21 * TWO_TO_MINUS_22); h21 -= c * RADIX;
  let h22 = t22 + c; c = Math.floor(h22 * TWO_TO_MINUS_22); h22 -= c * RADIX;
  // Folded down: 2^264 ≡ 9728, and 2^506 ≡ 9728·2^242.
  let r0 = t0 + 9728 * h12;
  let r1 = t1 + 9728 * h13;
  let r2 = t2 + 9728 * h14;
  let r3 = t3 + 9728 * h15;
  let r4 = t4 + 9728 * h16;
  let r5 = t5 + 9728 * h17;
  let r6 = t6 + 9728 * h18;
  let r7 = t7 + 9728 * h19;
  let r8 = t8 + 9728 * h20;
  let r9 = t9 + 9728 * h21;
  let r10 = t10 + 9728 * h22;
  let r11 = t11 + 9728 * c;
  // Two carry passes, as carry() makes, on the locals.
  c = Math.floor(r0 * TWO_TO_MINUS_22); r0 -= c * RADIX; r1 += c;
  c = Math.floor(r1 * TWO_TO_MINUS_22); r1 -= c * RADIX; r2 += c;
  c = Math.floor(r2 * TWO_TO_MINUS_22); r2 -= c * RADIX; r3 += c;
  c = Math.floor(r3 * TWO_TO_MINUS_22); r3 -= c * RADIX; r4 += c;
  c = Math.floor(r4 * TWO_TO_MINUS_22); r4 -= c * RADIX; r5 += c;
  c = Math.floor(r5 * TWO_TO_MINUS_22); r5 -= c * RADIX; r6 += c;
  c = Math.floor(r6 * TWO_TO_MINUS_22); r6 -= c * RADIX; r7 += c;
  c = Math.floor(r7 * TWO_TO_MINUS_22); r7 -= c * RADIX; r8 += c;
  c = Math.floor(r8 * TWO_TO_MINUS_22); r8 -= c * RADIX; r9 += c;
  c = Math.floor(r9 * TWO_TO_MINUS_22); r9 -= c * RADIX; r10 += c;
  c = Math.floor(r10 * TWO_TO_MINUS_22); r10 -= c * RADIX; r11 += c;
  c = Math.floor(r11 * TWO_TO_MINUS_22); r11 -= c * RADIX; r0 += 9728 * c;
  c = Math.floor(r0 * TWO_TO_MINUS_22); r0 -= c * RADIX; r1 += c;
  c = Math.floor(r1 * TWO_TO_MINUS_22); r1 -= c * RADIX; r2 += c;
  c = Math.floor(r2 * TWO_TO_MINUS_22); r2 -= c * RADIX; r3 += c;
  c = Math.floor(r3 * TWO_TO_MINUS_22); r3 -= c * RADIX; r4 += c;
  c = Math.floor(r4 * TWO_TO_MINUS_22); r4 -= c * RADIX; r5 += c;
  c = Math.floor(r5 * TWO_TO_MINUS_22); r5 -= c * RADIX; r6 += c;
  c = Math.floor(r6 * TWO_TO_MINUS_22); r6 -= c * RADIX; r7 += c;
  c = Math.floor(r7 * TWO_TO_MINUS_22); r7 -= c * RADIX; r8 += c;
  c = Math.floor(r8 * TWO_TO_MINUS_22); r8 -= c * RADIX; r9 += c;
  c = Math.floor(r9 * TWO_TO_MINUS_22); r9 -= c * RADIX; r10 += c;
  c = Math.floor(r10 * TWO_TO_MINUS_22); r10 -= c * RADIX; r11 += c;
  c = Math.floor(r11 * TWO_TO_MINUS_22); r11 -= c * RADIX; r0 += 9728 * c;
  o[0] = r0;
  o[1] = r1;
  o[2] = r2;
  o[3] = r3;
  o[4] = r4;
  o[5] = r5;
  o[6] = r6;
  o[7] = r7;
  o[8] = r8;
  o[9] = r9;
  o[10] = r10;
  o[11] = r11;
}

/** o = a·c + d for a constant c below 2^17, carried: RFC 7748's AA + a24·E in one pass. */
export function mulSmallAdd(o: FieldElement, a: FieldElement, c: number, d: FieldElement): void {
  for (let i = 0; i < LIMBS; i++) o[i] = a[i]! * c + d[i]!;
  carry(o);
  carry(o);
}

/** o = a^(2^n), n squarings. */
function sqrTimes(o: FieldElement, a: FieldElement, n: number): void {
  sqr(o, a);
  for (let i = 1; i < n; i++) sqr(o, o);
}

/**
 * o = a^(p-2) = 1/a (Fermat), by the addition chain of curve25519's reference code:
 * 254 squarings and 11 multiplications, the same for every a (0 gives 0).
 */
export function invert(o: FieldElement, a: FieldElement): void {
  const z2 = fieldElement(), z9 = fieldElement(), z11 = fieldElement(), t = fieldElement();
  const z5 = fieldElement(), z10 = fieldElement(), z20 = fieldElement(), z50 = fieldElement(), z100 = fieldElement();
  sqr(z2, a); // a^2
  sqrTimes(t, z2, 2); // a^8
  mul(z9, t, a); // a^9
  mul(z11, z9, z2); // a^11
  sqr(t, z11); // a^22
  mul(z5, t, z9); // a^(2^5 - 1)
  sqrTimes(t, z5, 5);
  mul(z10, t, z5); // a^(2^10 - 1)
  sqrTimes(t, z10, 10);
  mul(z20, t, z10); // a^(2^20 - 1)
  sqrTimes(t, z20, 20);
  mul(t, t, z20); // a^(2^40 - 1)
  sqrTimes(t, t, 10);
  mul(z50, t, z10); // a^(2^50 - 1)
  sqrTimes(t, z50, 50);
  mul(z100, t, z50); // a^(2^100 - 1)
  sqrTimes(t, z100, 100);
  mul(t, t, z100); // a^(2^200 - 1)
  sqrTimes(t, t, 50);
  mul(t, t, z50); // a^(2^250 - 1)
  sqrTimes(t, t, 5); // a^(2^255 - 32)
  mul(o, t, z11); // a^(2^255 - 21) = a^(p - 2)
  for (const e of [z2, z9, z11, t, z5, z10, z20, z50, z100]) e.fill(0);
}

/**
 * Swaps a and b when bit is 1, leaves them when 0, by mask. The limbs are integers well
 * inside 32 bits (results of mul, sqr or a table), so `^` on them is exact.
 */
export function swap(a: FieldElement, b: FieldElement, bit: number): void {
  const mask = -bit;
  for (let i = 0; i < LIMBS; i++) {
    const t = mask & (a[i]! ^ b[i]!);
    a[i] = a[i]! ^ t;
    b[i] = b[i]! ^ t;
  }
}

/** The limbs of p = 2^255 - 19. */
const P_LIMBS = Float64Array.from({ length: LIMBS }, (_, i) => (i === 0 ? RADIX - 19 : i === LIMBS - 1 ? TOP_RADIX - 1 : RADIX - 1));

/**
 * a from 32 little-endian bytes; the top bit is ignored (RFC 7748 §5: "mask the most
 * significant bit"). Limb i is bits 22i to 22i + 21, read from the four bytes from bit 22i
 * on (which byte and shift depend only on i).
 */
export function fromBytes(o: FieldElement, bytes: Uint8Array): void {
  for (let i = 0; i < LIMBS; i++) {
    const at = (22 * i) >>> 3, shift = (22 * i) & 7;
    let v = 0;
    for (let k = 0; k < 4 && at + k < 32; k++) v |= bytes[at + k]! << (8 * k);
    o[i] = (v >>> shift) & (RADIX - 1);
  }
  o[LIMBS - 1] = o[LIMBS - 1]! & (TOP_RADIX - 1);
}

/**
 * One carry pass modulo p itself: limbs 0..10 to [0, 2^22), the top limb to [0, 2^13),
 * what leaves bit 255 folded into the first limb as 19 times as much (2^255 ≡ 19).
 */
function carryBelow255(t: FieldElement): void {
  let c = 0;
  for (let i = 0; i < LIMBS - 1; i++) {
    const v = t[i]! + c;
    c = Math.floor(v * TWO_TO_MINUS_22);
    t[i] = v - c * RADIX;
  }
  const v = t[LIMBS - 1]! + c;
  c = Math.floor(v / TOP_RADIX); // exact: a power of two
  t[LIMBS - 1] = v - c * TOP_RADIX;
  t[0]! += 19 * c;
}

/** The 32 little-endian bytes of a reduced into [0, p). */
export function toBytes(out: Uint8Array, a: FieldElement): void {
  const t = Float64Array.from(a);
  const m = new Float64Array(LIMBS);
  // Three passes leave 0 <= t < 2^255 = p + 19 with every limb in range (a negative a, as
  // sub can leave, has p added by the first).
  carryBelow255(t);
  carryBelow255(t);
  carryBelow255(t);
  // So one subtraction of p reaches [0, p); it is kept only if it did not borrow.
  let borrow = 0;
  for (let i = 0; i < LIMBS; i++) {
    const v = t[i]! - P_LIMBS[i]! - borrow;
    borrow = (v >> 22) & 1; // v is in [-2^22, 2^22): negative exactly when it borrowed
    m[i] = v & (i === LIMBS - 1 ? TOP_RADIX - 1 : RADIX - 1);
  }
  swap(t, m, 1 - borrow);
  for (let b = 0; b < 32; b++) {
    // Byte b is bits 8b..8b+7: in limb i from bit `shift`, and the next limb when it crosses.
    const i = Math.floor((8 * b) / 22), shift = 8 * b - 22 * i;
    let v = t[i]! >>> shift;
    if (shift > 14 && i + 1 < LIMBS) v |= t[i + 1]! << (22 - shift);
    out[b] = v & 0xff;
  }
  t.fill(0);
  m.fill(0);
}
