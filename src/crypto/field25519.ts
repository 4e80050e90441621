/**
 * Arithmetic modulo p = 2^255 - 19 for X25519 (RFC 7748), in 16 limbs of 16 bits held in
 * a Float64Array: a = Σ a[i]·2^(16i). Why in doubles: JavaScript multiplies integers
 * exactly only up to 2^53, and 16-bit limbs keep every product (below 2^36 with the slack
 * that additions leave) and every column of 16 of them, folded back with 38 (2^256 ≡ 38
 * mod p), under that bound; V8 keeps such arrays unboxed. This is the representation of
 * TweetNaCl's `gf`. What is ours, and why it is faster (bench/primitives.ts: a product in
 * about 125 ns against tweetnacl's 140, a square in about 100): the product is written
 * out as its 31 column sums Σ a_i·b_(k-i), each one expression on locals, and carried in
 * locals before anything is stored; a square has its own 136 products (tweetnacl squares
 * with its 256-product multiplication). The columns are mechanical on purpose: they are
 * checked against BigInt arithmetic on random and extreme limbs
 * (test/crypto/x25519-limbs.test.ts).
 *
 * Nothing here branches on or indexes by a value: limbs are only added, multiplied and
 * carried with `Math.floor`, and `swap` exchanges by mask, so the time of every function
 * depends on nothing but its call (constant-time by construction).
 *
 * Limbs may be negative or a little over 16 bits between operations (add and sub do not
 * carry); mul, sqr and mulSmallAdd carry their result, and toBytes reduces it fully.
 */

export type FieldElement = Float64Array;

export const LIMBS = 16;

const TWO_TO_MINUS_16 = 1 / 65536;

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
 * One carry pass: every limb to [0, 2^16) but the first, and what leaves the top (a
 * multiple of 2^256) folded into the first as 38 times as much. It keeps the value modulo
 * 2p = 2^256 - 38; two passes leave every limb small enough for a product.
 */
function carry(o: FieldElement): void {
  let c = 0;
  for (let i = 0; i < LIMBS; i++) {
    const v = o[i]! + c;
    c = Math.floor(v * TWO_TO_MINUS_16); // exact: a power of two
    o[i] = v - c * 65536;
  }
  o[0]! += 38 * c;
}

/** o = a·b. o may be a or b: both are read into locals before o is written. */
export function mul(o: FieldElement, a: FieldElement, b: FieldElement): void {
  const a0 = a[0]!, a1 = a[1]!, a2 = a[2]!, a3 = a[3]!, a4 = a[4]!, a5 = a[5]!, a6 = a[6]!, a7 = a[7]!;
  const a8 = a[8]!, a9 = a[9]!, a10 = a[10]!, a11 = a[11]!, a12 = a[12]!, a13 = a[13]!, a14 = a[14]!, a15 = a[15]!;
  const b0 = b[0]!, b1 = b[1]!, b2 = b[2]!, b3 = b[3]!, b4 = b[4]!, b5 = b[5]!, b6 = b[6]!, b7 = b[7]!;
  const b8 = b[8]!, b9 = b[9]!, b10 = b[10]!, b11 = b[11]!, b12 = b[12]!, b13 = b[13]!, b14 = b[14]!, b15 = b[15]!;
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
  const t12 = a0 * b12 + a1 * b11 + a2 * b10 + a3 * b9 + a4 * b8 + a5 * b7 + a6 * b6 + a7 * b5 + a8 * b4 + a9 * b3 + a10 * b2 + a11 * b1 + a12 * b0;
  const t13 = a0 * b13 + a1 * b12 + a2 * b11 + a3 * b10 + a4 * b9 + a5 * b8 + a6 * b7 + a7 * b6 + a8 * b5 + a9 * b4 + a10 * b3 + a11 * b2 + a12 * b1 + a13 * b0;
  const t14 = a0 * b14 + a1 * b13 + a2 * b12 + a3 * b11 + a4 * b10 + a5 * b9 + a6 * b8 + a7 * b7 + a8 * b6 + a9 * b5 + a10 * b4 + a11 * b3 + a12 * b2 + a13 * b1 + a14 * b0;
  const t15 = a0 * b15 + a1 * b14 + a2 * b13 + a3 * b12 + a4 * b11 + a5 * b10 + a6 * b9 + a7 * b8 + a8 * b7 + a9 * b6 + a10 * b5 + a11 * b4 + a12 * b3 + a13 * b2 + a14 * b1 + a15 * b0;
  const t16 = a1 * b15 + a2 * b14 + a3 * b13 + a4 * b12 + a5 * b11 + a6 * b10 + a7 * b9 + a8 * b8 + a9 * b7 + a10 * b6 + a11 * b5 + a12 * b4 + a13 * b3 + a14 * b2 + a15 * b1;
  const t17 = a2 * b15 + a3 * b14 + a4 * b13 + a5 * b12 + a6 * b11 + a7 * b10 + a8 * b9 + a9 * b8 + a10 * b7 + a11 * b6 + a12 * b5 + a13 * b4 + a14 * b3 + a15 * b2;
  const t18 = a3 * b15 + a4 * b14 + a5 * b13 + a6 * b12 + a7 * b11 + a8 * b10 + a9 * b9 + a10 * b8 + a11 * b7 + a12 * b6 + a13 * b5 + a14 * b4 + a15 * b3;
  const t19 = a4 * b15 + a5 * b14 + a6 * b13 + a7 * b12 + a8 * b11 + a9 * b10 + a10 * b9 + a11 * b8 + a12 * b7 + a13 * b6 + a14 * b5 + a15 * b4;
  const t20 = a5 * b15 + a6 * b14 + a7 * b13 + a8 * b12 + a9 * b11 + a10 * b10 + a11 * b9 + a12 * b8 + a13 * b7 + a14 * b6 + a15 * b5;
  const t21 = a6 * b15 + a7 * b14 + a8 * b13 + a9 * b12 + a10 * b11 + a11 * b10 + a12 * b9 + a13 * b8 + a14 * b7 + a15 * b6;
  const t22 = a7 * b15 + a8 * b14 + a9 * b13 + a10 * b12 + a11 * b11 + a12 * b10 + a13 * b9 + a14 * b8 + a15 * b7;
  const t23 = a8 * b15 + a9 * b14 + a10 * b13 + a11 * b12 + a12 * b11 + a13 * b10 + a14 * b9 + a15 * b8;
  const t24 = a9 * b15 + a10 * b14 + a11 * b13 + a12 * b12 + a13 * b11 + a14 * b10 + a15 * b9;
  const t25 = a10 * b15 + a11 * b14 + a12 * b13 + a13 * b12 + a14 * b11 + a15 * b10;
  const t26 = a11 * b15 + a12 * b14 + a13 * b13 + a14 * b12 + a15 * b11;
  const t27 = a12 * b15 + a13 * b14 + a14 * b13 + a15 * b12;
  const t28 = a13 * b15 + a14 * b14 + a15 * b13;
  const t29 = a14 * b15 + a15 * b14;
  const t30 = a15 * b15;
  // Columns 16..30 are multiples of 2^256 ≡ 38.
  let r0 = t0 + 38 * t16;
  let r1 = t1 + 38 * t17;
  let r2 = t2 + 38 * t18;
  let r3 = t3 + 38 * t19;
  let r4 = t4 + 38 * t20;
  let r5 = t5 + 38 * t21;
  let r6 = t6 + 38 * t22;
  let r7 = t7 + 38 * t23;
  let r8 = t8 + 38 * t24;
  let r9 = t9 + 38 * t25;
  let r10 = t10 + 38 * t26;
  let r11 = t11 + 38 * t27;
  let r12 = t12 + 38 * t28;
  let r13 = t13 + 38 * t29;
  let r14 = t14 + 38 * t30;
  let r15 = t15;
  // Two carry passes, as carry() makes, on the locals.
  let c = 0;
  c = Math.floor(r0 * TWO_TO_MINUS_16); r0 -= c * 65536; r1 += c;
  c = Math.floor(r1 * TWO_TO_MINUS_16); r1 -= c * 65536; r2 += c;
  c = Math.floor(r2 * TWO_TO_MINUS_16); r2 -= c * 65536; r3 += c;
  c = Math.floor(r3 * TWO_TO_MINUS_16); r3 -= c * 65536; r4 += c;
  c = Math.floor(r4 * TWO_TO_MINUS_16); r4 -= c * 65536; r5 += c;
  c = Math.floor(r5 * TWO_TO_MINUS_16); r5 -= c * 65536; r6 += c;
  c = Math.floor(r6 * TWO_TO_MINUS_16); r6 -= c * 65536; r7 += c;
  c = Math.floor(r7 * TWO_TO_MINUS_16); r7 -= c * 65536; r8 += c;
  c = Math.floor(r8 * TWO_TO_MINUS_16); r8 -= c * 65536; r9 += c;
  c = Math.floor(r9 * TWO_TO_MINUS_16); r9 -= c * 65536; r10 += c;
  c = Math.floor(r10 * TWO_TO_MINUS_16); r10 -= c * 65536; r11 += c;
  c = Math.floor(r11 * TWO_TO_MINUS_16); r11 -= c * 65536; r12 += c;
  c = Math.floor(r12 * TWO_TO_MINUS_16); r12 -= c * 65536; r13 += c;
  c = Math.floor(r13 * TWO_TO_MINUS_16); r13 -= c * 65536; r14 += c;
  c = Math.floor(r14 * TWO_TO_MINUS_16); r14 -= c * 65536; r15 += c;
  c = Math.floor(r15 * TWO_TO_MINUS_16); r15 -= c * 65536; r0 += 38 * c;
  c = Math.floor(r0 * TWO_TO_MINUS_16); r0 -= c * 65536; r1 += c;
  c = Math.floor(r1 * TWO_TO_MINUS_16); r1 -= c * 65536; r2 += c;
  c = Math.floor(r2 * TWO_TO_MINUS_16); r2 -= c * 65536; r3 += c;
  c = Math.floor(r3 * TWO_TO_MINUS_16); r3 -= c * 65536; r4 += c;
  c = Math.floor(r4 * TWO_TO_MINUS_16); r4 -= c * 65536; r5 += c;
  c = Math.floor(r5 * TWO_TO_MINUS_16); r5 -= c * 65536; r6 += c;
  c = Math.floor(r6 * TWO_TO_MINUS_16); r6 -= c * 65536; r7 += c;
  c = Math.floor(r7 * TWO_TO_MINUS_16); r7 -= c * 65536; r8 += c;
  c = Math.floor(r8 * TWO_TO_MINUS_16); r8 -= c * 65536; r9 += c;
  c = Math.floor(r9 * TWO_TO_MINUS_16); r9 -= c * 65536; r10 += c;
  c = Math.floor(r10 * TWO_TO_MINUS_16); r10 -= c * 65536; r11 += c;
  c = Math.floor(r11 * TWO_TO_MINUS_16); r11 -= c * 65536; r12 += c;
  c = Math.floor(r12 * TWO_TO_MINUS_16); r12 -= c * 65536; r13 += c;
  c = Math.floor(r13 * TWO_TO_MINUS_16); r13 -= c * 65536; r14 += c;
  c = Math.floor(r14 * TWO_TO_MINUS_16); r14 -= c * 65536; r15 += c;
  c = Math.floor(r15 * TWO_TO_MINUS_16); r15 -= c * 65536; r0 += 38 * c;
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
  o[12] = r12;
  o[13] = r13;
  o[14] = r14;
  o[15] = r15;
}

/**
 * o = a², each cross product a_i·a_j (i < j) computed once and doubled. It ends with the
 * same fold and carry lines as mul, on purpose: a shared function taking the 16 folded
 * columns measured 1.4 times slower (V8 does not inline a call of 17 arguments).
 */
export function sqr(o: FieldElement, a: FieldElement): void {
  const a0 = a[0]!, a1 = a[1]!, a2 = a[2]!, a3 = a[3]!, a4 = a[4]!, a5 = a[5]!, a6 = a[6]!, a7 = a[7]!;
  const a8 = a[8]!, a9 = a[9]!, a10 = a[10]!, a11 = a[11]!, a12 = a[12]!, a13 = a[13]!, a14 = a[14]!, a15 = a[15]!;
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
  const t12 = 2 * (a0 * a12 + a1 * a11 + a2 * a10 + a3 * a9 + a4 * a8 + a5 * a7) + a6 * a6;
  const t13 = 2 * (a0 * a13 + a1 * a12 + a2 * a11 + a3 * a10 + a4 * a9 + a5 * a8 + a6 * a7);
  const t14 = 2 * (a0 * a14 + a1 * a13 + a2 * a12 + a3 * a11 + a4 * a10 + a5 * a9 + a6 * a8) + a7 * a7;
  const t15 = 2 * (a0 * a15 + a1 * a14 + a2 * a13 + a3 * a12 + a4 * a11 + a5 * a10 + a6 * a9 + a7 * a8);
  const t16 = 2 * (a1 * a15 + a2 * a14 + a3 * a13 + a4 * a12 + a5 * a11 + a6 * a10 + a7 * a9) + a8 * a8;
  const t17 = 2 * (a2 * a15 + a3 * a14 + a4 * a13 + a5 * a12 + a6 * a11 + a7 * a10 + a8 * a9);
  const t18 = 2 * (a3 * a15 + a4 * a14 + a5 * a13 + a6 * a12 + a7 * a11 + a8 * a10) + a9 * a9;
  const t19 = 2 * (a4 * a15 + a5 * a14 + a6 * a13 + a7 * a12 + a8 * a11 + a9 * a10);
  const t20 = 2 * (a5 * a15 + a6 * a14 + a7 * a13 + a8 * a12 + a9 * a11) + a10 * a10;
  const t21 = 2 * (a6 * a15 + a7 * a14 + a8 * a13 + a9 * a12 + a10 * a11);
  const t22 = 2 * (a7 * a15 + a8 * a14 + a9 * a13 + a10 * a12) + a11 * a11;
  const t23 = 2 * (a8 * a15 + a9 * a14 + a10 * a13 + a11 * a12);
  const t24 = 2 * (a9 * a15 + a10 * a14 + a11 * a13) + a12 * a12;
  const t25 = 2 * (a10 * a15 + a11 * a14 + a12 * a13);
  const t26 = 2 * (a11 * a15 + a12 * a14) + a13 * a13;
  const t27 = 2 * (a12 * a15 + a13 * a14);
  const t28 = 2 * (a13 * a15) + a14 * a14;
  const t29 = 2 * (a14 * a15);
  const t30 = a15 * a15;
  let r0 = t0 + 38 * t16;
  let r1 = t1 + 38 * t17;
  let r2 = t2 + 38 * t18;
  let r3 = t3 + 38 * t19;
  let r4 = t4 + 38 * t20;
  let r5 = t5 + 38 * t21;
  let r6 = t6 + 38 * t22;
  let r7 = t7 + 38 * t23;
  let r8 = t8 + 38 * t24;
  let r9 = t9 + 38 * t25;
  let r10 = t10 + 38 * t26;
  let r11 = t11 + 38 * t27;
  let r12 = t12 + 38 * t28;
  let r13 = t13 + 38 * t29;
  let r14 = t14 + 38 * t30;
  let r15 = t15;
  // Two carry passes, as carry() makes, on the locals.
  let c = 0;
  c = Math.floor(r0 * TWO_TO_MINUS_16); r0 -= c * 65536; r1 += c;
  c = Math.floor(r1 * TWO_TO_MINUS_16); r1 -= c * 65536; r2 += c;
  c = Math.floor(r2 * TWO_TO_MINUS_16); r2 -= c * 65536; r3 += c;
  c = Math.floor(r3 * TWO_TO_MINUS_16); r3 -= c * 65536; r4 += c;
  c = Math.floor(r4 * TWO_TO_MINUS_16); r4 -= c * 65536; r5 += c;
  c = Math.floor(r5 * TWO_TO_MINUS_16); r5 -= c * 65536; r6 += c;
  c = Math.floor(r6 * TWO_TO_MINUS_16); r6 -= c * 65536; r7 += c;
  c = Math.floor(r7 * TWO_TO_MINUS_16); r7 -= c * 65536; r8 += c;
  c = Math.floor(r8 * TWO_TO_MINUS_16); r8 -= c * 65536; r9 += c;
  c = Math.floor(r9 * TWO_TO_MINUS_16); r9 -= c * 65536; r10 += c;
  c = Math.floor(r10 * TWO_TO_MINUS_16); r10 -= c * 65536; r11 += c;
  c = Math.floor(r11 * TWO_TO_MINUS_16); r11 -= c * 65536; r12 += c;
  c = Math.floor(r12 * TWO_TO_MINUS_16); r12 -= c * 65536; r13 += c;
  c = Math.floor(r13 * TWO_TO_MINUS_16); r13 -= c * 65536; r14 += c;
  c = Math.floor(r14 * TWO_TO_MINUS_16); r14 -= c * 65536; r15 += c;
  c = Math.floor(r15 * TWO_TO_MINUS_16); r15 -= c * 65536; r0 += 38 * c;
  c = Math.floor(r0 * TWO_TO_MINUS_16); r0 -= c * 65536; r1 += c;
  c = Math.floor(r1 * TWO_TO_MINUS_16); r1 -= c * 65536; r2 += c;
  c = Math.floor(r2 * TWO_TO_MINUS_16); r2 -= c * 65536; r3 += c;
  c = Math.floor(r3 * TWO_TO_MINUS_16); r3 -= c * 65536; r4 += c;
  c = Math.floor(r4 * TWO_TO_MINUS_16); r4 -= c * 65536; r5 += c;
  c = Math.floor(r5 * TWO_TO_MINUS_16); r5 -= c * 65536; r6 += c;
  c = Math.floor(r6 * TWO_TO_MINUS_16); r6 -= c * 65536; r7 += c;
  c = Math.floor(r7 * TWO_TO_MINUS_16); r7 -= c * 65536; r8 += c;
  c = Math.floor(r8 * TWO_TO_MINUS_16); r8 -= c * 65536; r9 += c;
  c = Math.floor(r9 * TWO_TO_MINUS_16); r9 -= c * 65536; r10 += c;
  c = Math.floor(r10 * TWO_TO_MINUS_16); r10 -= c * 65536; r11 += c;
  c = Math.floor(r11 * TWO_TO_MINUS_16); r11 -= c * 65536; r12 += c;
  c = Math.floor(r12 * TWO_TO_MINUS_16); r12 -= c * 65536; r13 += c;
  c = Math.floor(r13 * TWO_TO_MINUS_16); r13 -= c * 65536; r14 += c;
  c = Math.floor(r14 * TWO_TO_MINUS_16); r14 -= c * 65536; r15 += c;
  c = Math.floor(r15 * TWO_TO_MINUS_16); r15 -= c * 65536; r0 += 38 * c;
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
  o[12] = r12;
  o[13] = r13;
  o[14] = r14;
  o[15] = r15;
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

/** a from 32 little-endian bytes; the top bit is ignored (RFC 7748 §5: "mask the most significant bit"). */
export function fromBytes(o: FieldElement, bytes: Uint8Array): void {
  for (let i = 0; i < LIMBS; i++) o[i] = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
  o[15] = o[15]! & 0x7fff;
}

/** The 32 little-endian bytes of a reduced into [0, p). */
export function toBytes(out: Uint8Array, a: FieldElement): void {
  const t = Float64Array.from(a);
  const m = new Float64Array(LIMBS);
  // Three passes leave 0 <= t < 2^256 = 2p + 38 with every limb in [0, 2^16).
  carry(t);
  carry(t);
  carry(t);
  // So at most two subtractions of p reach [0, p); each is kept only if it did not borrow.
  for (let round = 0; round < 2; round++) {
    let borrow = 0;
    for (let i = 0; i < LIMBS; i++) {
      const pLimb = i === 0 ? 0xffed : i === 15 ? 0x7fff : 0xffff;
      const v = t[i]! - pLimb - borrow;
      borrow = (v >> 16) & 1; // v is in [-2^16, 2^16): negative exactly when it borrowed
      m[i] = v & 0xffff;
    }
    swap(t, m, 1 - borrow);
  }
  for (let i = 0; i < LIMBS; i++) {
    out[2 * i] = t[i]! & 0xff;
    out[2 * i + 1] = t[i]! >> 8;
  }
  t.fill(0);
  m.fill(0);
}
