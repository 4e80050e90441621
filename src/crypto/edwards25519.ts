import { LIMBS, add, fieldElement, fromBytes, invert, mul, sqr, sub, toBytes, type FieldElement } from './field25519.js';

/**
 * [k]B on edwards25519 from a table of multiples of the base point, mapped to the X25519
 * u-coordinate: how libsodium computes X25519(k, 9) (crypto_scalarmult_curve25519_base,
 * after ref10's ge_scalarmult_base). The Montgomery curve of RFC 7748 and edwards25519
 * are birationally equivalent (RFC 7748 §4.1), the map takes the Edwards base point to
 * u = 9 and is a group homomorphism, so u([k]B) = (1 + y)/(1 - y) = (Z + Y)/(Z - Y) is
 * X25519(k, 9). A ladder spends about ten field multiplications per scalar bit; here the
 * scalar is 64 signed digits of 4 bits, each added from the table with seven, and four
 * doublings for all of them.
 *
 * Coordinates: extended (X : Y : Z : T) with x = X/Z, y = Y/Z, xy = T/Z (Hisil, Wong,
 * Carter, Dawson 2008, a = -1); table entries are affine "Niels" triples (y + x, y - x,
 * 2d·x·y). Constant-time: each digit reads all eight entries of its row and keeps one by
 * mask, and a negative digit negates it by a swap by mask and a product with ±1.
 */

/** RFC 8032 §5.1: the base point's coordinates, big-endian hex (y = 4/5). */
const BASE_X = '216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51a';
const BASE_Y = '6666666666666666666666666666666666666666666666666666666666666658';

function fromBigEndianHex(hex: string): FieldElement {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[31 - i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  const e = fieldElement();
  fromBytes(e, bytes);
  return e;
}

/** 2d, with d = -121665/121666 (RFC 8032 §5.1), computed rather than copied. */
function twiceD(): FieldElement {
  const d = fieldElement(121666);
  invert(d, d);
  const minus = fieldElement(-121665);
  mul(d, d, minus);
  add(d, d, d);
  return d;
}

interface Point {
  X: FieldElement;
  Y: FieldElement;
  Z: FieldElement;
  T: FieldElement;
}

function point(): Point {
  return { X: fieldElement(), Y: fieldElement(1), Z: fieldElement(1), T: fieldElement() };
}

const ZERO = fieldElement();

// Scratch for the formulas, shared (a call runs synchronously) and wiped after each use.
const fa = fieldElement(), fb = fieldElement(), fc = fieldElement(), fd = fieldElement();
const fe = fieldElement(), ff = fieldElement(), fg = fieldElement(), fh = fieldElement();
const SCRATCH: readonly FieldElement[] = [fa, fb, fc, fd, fe, ff, fg, fh];

/** From A, B, C, D of an addition (add-2008-hwcd-3): p = (E·F : G·H : F·G : E·H). */
function finishAddition(p: Point): void {
  sub(fe, fb, fa);
  sub(ff, fd, fc);
  add(fg, fd, fc);
  add(fh, fb, fa);
  mul(p.X, fe, ff);
  mul(p.Y, fg, fh);
  mul(p.Z, ff, fg);
  mul(p.T, fe, fh);
}

/** A, B and C of an addition to p of q given as (Y + X, Y - X, 2d·T) (add-2008-hwcd-3). */
function startAddition(p: Point, ypx: FieldElement, ymx: FieldElement, t2d: FieldElement): void {
  sub(fa, p.Y, p.X);
  mul(fa, fa, ymx); // A = (Y1 - X1)(Y2 - X2)
  add(fb, p.Y, p.X);
  mul(fb, fb, ypx); // B = (Y1 + X1)(Y2 + X2)
  mul(fc, p.T, t2d); // C = T1 · 2d·T2
}

/** p += the affine point (ypx, ymx, xy2d) = (y + x, y - x, 2d·x·y): seven multiplications. */
function addNiels(p: Point, ypx: FieldElement, ymx: FieldElement, xy2d: FieldElement): void {
  startAddition(p, ypx, ymx, xy2d);
  add(fd, p.Z, p.Z); // D = 2·Z1 (Z2 = 1)
  finishAddition(p);
}

/** p += q, both extended: used only to build the table. */
function addPoint(p: Point, q: Point, d2: FieldElement): void {
  const ypx = fieldElement(), ymx = fieldElement(), t2d = fieldElement();
  add(ypx, q.Y, q.X);
  sub(ymx, q.Y, q.X);
  mul(t2d, q.T, d2);
  startAddition(p, ypx, ymx, t2d);
  mul(fd, p.Z, q.Z);
  add(fd, fd, fd); // D = 2·Z1·Z2
  finishAddition(p);
}

/** p = 2p (dbl-2008-hwcd with a = -1). */
function double(p: Point): void {
  sqr(fa, p.X); // A = X^2
  sqr(fb, p.Y); // B = Y^2
  sqr(fc, p.Z);
  add(fc, fc, fc); // C = 2Z^2
  add(fe, p.X, p.Y);
  sqr(fe, fe);
  sub(fe, fe, fa);
  sub(fe, fe, fb); // E = (X + Y)^2 - A - B
  sub(fg, fb, fa); // G = aA + B with a = -1
  sub(ff, fg, fc); // F = G - C
  add(fh, fa, fb);
  sub(fh, ZERO, fh); // H = aA - B = -(A + B)
  mul(p.X, fe, ff);
  mul(p.Y, fg, fh);
  mul(p.Z, ff, fg);
  mul(p.T, fe, fh);
}

/** Rows of the table: row i holds j·256^i·B for j = 1..8, each 3 canonical field elements. */
const ROWS = 32;
const PER_ROW = 8;
const ENTRY = 3 * LIMBS;

let table: Int32Array | undefined;

/**
 * Builds the table once, on first use (59 ms in a cold process, most of it V8 running the
 * code before optimising it; 14 ms on 16-bit limbs once they were warm): 256 points by
 * additions and doublings in extended coordinates, made affine with one inversion for all
 * of them (Montgomery's trick), stored reduced, a limb in each 32-bit integer (36 KiB).
 */
function baseTable(): Int32Array {
  if (table) return table;
  const d2 = twiceD();
  const x = fromBigEndianHex(BASE_X), y = fromBigEndianHex(BASE_Y);
  const row: Point = { X: x, Y: y, Z: fieldElement(1), T: fieldElement() };
  mul(row.T, x, y);
  const points: Point[] = [];
  for (let i = 0; i < ROWS; i++) {
    const multiple = copyPoint(row);
    for (let j = 1; j <= PER_ROW; j++) {
      points.push(copyPoint(multiple));
      addPoint(multiple, row, d2);
    }
    for (let n = 0; n < 8; n++) double(row); // the next row's base: 256 times this one
  }
  const inverses = invertAll(points.map((p) => p.Z));
  const out = new Int32Array(ROWS * PER_ROW * ENTRY);
  const ax = fieldElement(), ay = fieldElement(), e = fieldElement(), bytes = new Uint8Array(32);
  points.forEach((p, n) => {
    mul(ax, p.X, inverses[n]!);
    mul(ay, p.Y, inverses[n]!);
    add(e, ay, ax);
    storeReduced(out, n * ENTRY, e, bytes);
    sub(e, ay, ax);
    storeReduced(out, n * ENTRY + LIMBS, e, bytes);
    mul(e, ax, ay);
    mul(e, e, d2);
    storeReduced(out, n * ENTRY + 2 * LIMBS, e, bytes);
  });
  for (const s of SCRATCH) s.fill(0);
  table = out;
  return out;
}

function copyPoint(p: Point): Point {
  return { X: Float64Array.from(p.X), Y: Float64Array.from(p.Y), Z: Float64Array.from(p.Z), T: Float64Array.from(p.T) };
}

/** Montgomery's trick: the inverses of all zs from one inversion and 3(n - 1) multiplications. */
function invertAll(zs: readonly FieldElement[]): FieldElement[] {
  const prefix: FieldElement[] = [Float64Array.from(zs[0]!)];
  for (let i = 1; i < zs.length; i++) {
    const p = fieldElement();
    mul(p, prefix[i - 1]!, zs[i]!);
    prefix.push(p);
  }
  const inverse = fieldElement();
  invert(inverse, prefix[zs.length - 1]!);
  const out: FieldElement[] = new Array<FieldElement>(zs.length);
  for (let i = zs.length - 1; i > 0; i--) {
    const z = fieldElement();
    mul(z, inverse, prefix[i - 1]!); // 1/z_i = 1/(z_0…z_i) · (z_0…z_(i-1))
    out[i] = z;
    mul(inverse, inverse, zs[i]!); // now 1/(z_0…z_(i-1))
  }
  out[0] = inverse;
  return out;
}

/** e reduced into [0, p) (through its canonical bytes), its limbs at out[at..]. */
function storeReduced(out: Int32Array, at: number, e: FieldElement, bytes: Uint8Array): void {
  toBytes(bytes, e);
  fromBytes(e, bytes);
  out.set(e, at);
}

// The scalar multiplication's working state, shared and wiped after each call.
const acc = point();
const ypx = fieldElement(), ymx = fieldElement(), xy2d = fieldElement();
const chosen = new Int32Array(ENTRY);
const digits = new Int8Array(64);

/**
 * ypx, ymx, xy2d = digit·256^row·B for a digit in [-8, 8], reading all eight entries of the
 * row (ref10's `select`): the identity (1, 1, 0) when the digit is 0, else entry |digit|
 * kept by mask; then, when the digit is negative, negated by mask: -(x, y) = (-x, y)
 * swaps y + x with y - x and negates 2d·x·y.
 */
function selectMultiple(t: Int32Array, row: number, digit: number): void {
  const negative = (digit >> 31) & 1;
  const magnitude = digit - ((-negative & digit) << 1);
  chosen.fill(0);
  chosen[0] = 1;
  chosen[LIMBS] = 1;
  for (let j = 1; j <= PER_ROW; j++) {
    const mask = -(((magnitude ^ j) - 1) >>> 31); // all ones when magnitude === j
    const at = (row * PER_ROW + j - 1) * ENTRY;
    for (let i = 0; i < ENTRY; i++) chosen[i] = chosen[i]! ^ (mask & (chosen[i]! ^ t[at + i]!));
  }
  const swapMask = -negative;
  const sign = 1 - 2 * negative;
  for (let i = 0; i < LIMBS; i++) {
    const p = chosen[i]!, m = chosen[LIMBS + i]!;
    const d = swapMask & (p ^ m);
    ypx[i] = p ^ d;
    ymx[i] = m ^ d;
    xy2d[i] = sign * chosen[2 * LIMBS + i]!;
  }
}

/**
 * The u-coordinate (32 bytes, RFC 7748) of [k]·B for a clamped scalar k (below 2^255),
 * from its 64 radix-16 digits recoded into [-8, 8]: odd digits first, then 16 times that,
 * then the even digits (ref10's ge_scalarmult_base).
 */
export function edwardsBaseMultipleU(k: Uint8Array): Uint8Array {
  const t = baseTable();
  for (let i = 0; i < 32; i++) {
    digits[2 * i] = k[i]! & 15;
    digits[2 * i + 1] = k[i]! >>> 4;
  }
  let carry = 0;
  for (let i = 0; i < 63; i++) {
    const v = digits[i]! + carry;
    carry = (v + 8) >> 4;
    digits[i] = v - (carry << 4);
  }
  digits[63] = digits[63]! + carry; // at most 8: bit 255 of a clamped scalar is 0
  resetToIdentity(acc);
  for (let i = 1; i < 64; i += 2) {
    selectMultiple(t, i >>> 1, digits[i]!);
    addNiels(acc, ypx, ymx, xy2d);
  }
  for (let n = 0; n < 4; n++) double(acc);
  for (let i = 0; i < 64; i += 2) {
    selectMultiple(t, i >>> 1, digits[i]!);
    addNiels(acc, ypx, ymx, xy2d);
  }
  // u = (1 + y)/(1 - y) = (Z + Y)/(Z - Y).
  const numerator = fieldElement(), denominator = fieldElement();
  add(numerator, acc.Z, acc.Y);
  sub(denominator, acc.Z, acc.Y);
  invert(denominator, denominator);
  mul(numerator, numerator, denominator);
  const out = new Uint8Array(32);
  toBytes(out, numerator);
  for (const e of [numerator, denominator, ypx, ymx, xy2d, acc.X, acc.Y, acc.Z, acc.T, ...SCRATCH]) e.fill(0);
  chosen.fill(0);
  digits.fill(0);
  return out;
}

function resetToIdentity(p: Point): void {
  p.X.fill(0);
  p.Y.fill(0);
  p.Y[0] = 1;
  p.Z.fill(0);
  p.Z[0] = 1;
  p.T.fill(0);
}
