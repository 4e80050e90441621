import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, randomBytes, randomInt } from 'node:crypto';
import { describe, it } from 'mocha';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import nacl from 'tweetnacl';
import { LIMBS, add, addSub, fieldElement, fromBytes, invert, mul, mulSmallAdd, sqr, sub, swap, toBytes, type FieldElement } from '../../src/crypto/field25519.js';
import { clampScalar, x25519, x25519Base } from '../../src/crypto/x25519.js';
import { hex } from '../helpers/tls-client.js';

/**
 * Our X25519 arithmetic (src/crypto/field25519.ts, edwards25519.ts, x25519.ts) against
 * BigInt arithmetic modulo p, and the two X25519 functions against node:crypto (OpenSSL),
 * noble and tweetnacl, which the provider used before. The provider's RFC 7748 vectors
 * and low-order refusals are in x25519.test.ts.
 */

const P = (1n << 255n) - 19n;
const mod = (v: bigint): bigint => ((v % P) + P) % P;

const RADIX = 1 << 22;

/** The value of limbs that may be negative or over 22 bits, as a BigInt. */
function valueOf(e: FieldElement): bigint {
  let v = 0n;
  for (let i = LIMBS - 1; i >= 0; i--) v = v * BigInt(RADIX) + BigInt(e[i]!);
  return v;
}

/** Limbs drawn from [-bound, bound]: what additions and subtractions hand to a product. */
function randomLimbs(bound: number): FieldElement {
  const e = fieldElement();
  for (let i = 0; i < LIMBS; i++) e[i] = randomInt(-bound, bound + 1);
  return e;
}

/** The extremes: zero, one, p - 1, p, p + 1, 2^255 - 1, 2^264 - 1, and the widest limbs a product may be given. */
function extremes(): FieldElement[] {
  const all = (v: number): FieldElement => fieldElement().fill(v);
  const fromBig = (v: bigint): FieldElement => {
    const e = fieldElement();
    for (let i = 0; i < LIMBS; i++) e[i] = Number((v >> BigInt(22 * i)) & BigInt(RADIX - 1));
    return e;
  };
  return [fieldElement(), fieldElement(1), fromBig(P - 1n), fromBig(P), fromBig(P + 1n), fromBig((1n << 255n) - 1n), all(RADIX - 1), all(LIMB_BOUND), all(-LIMB_BOUND), alternating()];
}

/** +LIMB_BOUND and -LIMB_BOUND in turn: a square's doubled cross products at their most negative. */
function alternating(): FieldElement {
  return fieldElement().map((_, i) => (i % 2 ? -LIMB_BOUND : LIMB_BOUND));
}

/**
 * The widest limbs field25519.ts promises a product exact for: ±2^24.5, more than a sum or
 * difference of five carried elements (the ladder and edwards25519.ts hand one four at most).
 */
const LIMB_BOUND = Math.floor(2 ** 24.5);
/** How far a carried limb may be from [0, 2^22): the first takes folds of 9728. */
const CARRIED_BOUND = RADIX + (1 << 14);

/** A carried result is small enough to be multiplied again (five of them summed stay within LIMB_BOUND). */
function assertCarried(o: FieldElement, what: string): void {
  for (let l = 0; l < LIMBS; l++) assert.ok(Math.abs(o[l]!) < CARRIED_BOUND && (l === 0 || o[l]! >= 0), `${what}: carried limb ${l} is ${o[l]}`);
}

describe('X25519 arithmetic on 12 limbs of 22 bits (field25519.ts)', () => {
  it('mul, sqr and mulSmallAdd equal BigInt arithmetic mod p, on random limbs up to ±2^24.5 and the extremes', () => {
    const inputs = [...extremes(), ...Array.from({ length: 300 }, () => randomLimbs(LIMB_BOUND))];
    const o = fieldElement();
    for (let i = 0; i < inputs.length; i++) {
      const a = inputs[i]!;
      const b = inputs[(i * 7 + 3) % inputs.length]!;
      mul(o, a, b);
      assert.equal(mod(valueOf(o)), mod(valueOf(a) * valueOf(b)), `mul ${i}`);
      assertCarried(o, `mul ${i}`);
      sqr(o, a);
      assert.equal(mod(valueOf(o)), mod(valueOf(a) ** 2n), `sqr ${i}`);
      assertCarried(o, `sqr ${i}`);
      mulSmallAdd(o, a, 121665, b);
      assert.equal(mod(valueOf(o)), mod(valueOf(a) * 121665n + valueOf(b)), `mulSmallAdd ${i}`);
      assertCarried(o, `mulSmallAdd ${i}`);
    }
  });

  it('mul and sqr may write over an input', () => {
    const a = randomLimbs(LIMB_BOUND), b = randomLimbs(LIMB_BOUND);
    const expected = mod(valueOf(a) * valueOf(b));
    mul(a, a, b);
    assert.equal(mod(valueOf(a)), expected);
    const square = mod(valueOf(b) ** 2n);
    sqr(b, b);
    assert.equal(mod(valueOf(b)), square);
  });

  it('add, sub, addSub and swap', () => {
    const a = randomLimbs(RADIX), b = randomLimbs(RADIX), o = fieldElement(), d = fieldElement();
    add(o, a, b);
    assert.equal(valueOf(o), valueOf(a) + valueOf(b));
    sub(o, a, b);
    assert.equal(valueOf(o), valueOf(a) - valueOf(b));
    addSub(o, d, a, b);
    assert.deepEqual([valueOf(o), valueOf(d)], [valueOf(a) + valueOf(b), valueOf(a) - valueOf(b)]);
    const [va, vb] = [valueOf(a), valueOf(b)];
    swap(a, b, 0);
    assert.deepEqual([valueOf(a), valueOf(b)], [va, vb]);
    swap(a, b, 1);
    assert.deepEqual([valueOf(a), valueOf(b)], [vb, va]);
  });

  it('invert gives 1/a for random and extreme a (and 0 for 0)', () => {
    for (const a of [...extremes(), ...Array.from({ length: 30 }, () => randomLimbs(LIMB_BOUND))]) {
      const o = fieldElement();
      invert(o, a);
      const v = mod(valueOf(a));
      assert.equal(mod(valueOf(o) * v), v === 0n ? 0n : 1n);
    }
  });

  it('toBytes writes the canonical value in [0, p) and fromBytes reads it back, top bit masked', () => {
    const out = new Uint8Array(32);
    for (const a of [...extremes(), ...Array.from({ length: 300 }, () => randomLimbs(LIMB_BOUND))]) {
      toBytes(out, a);
      const written = BigInt('0x' + hex(Uint8Array.from(out).reverse()));
      assert.equal(written, mod(valueOf(a)));
      const back = fieldElement();
      fromBytes(back, out);
      assert.equal(valueOf(back), written);
    }
    const top = new Uint8Array(32).fill(0xff);
    const e = fieldElement();
    fromBytes(e, top);
    assert.equal(valueOf(e), (1n << 255n) - 1n);
  });
});

const SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');

function opensslPublicKey(secret: Uint8Array): string {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8, secret]), format: 'der', type: 'pkcs8' });
  return hex(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI.length));
}

describe('X25519 on our limbs (x25519.ts, edwards25519.ts)', () => {
  it('x25519Base (the Edwards table) equals OpenSSL, noble, tweetnacl and our own ladder on 400 random scalars', () => {
    const nine = new Uint8Array(32);
    nine[0] = 9;
    for (let i = 0; i < 400; i++) {
      const k = randomBytes(32);
      const ours = hex(x25519Base(k));
      assert.equal(ours, opensslPublicKey(k), `OpenSSL, scalar ${hex(k)}`);
      assert.equal(ours, hex(nacl.scalarMult.base(k)), `tweetnacl, scalar ${hex(k)}`);
      if (i < 50) {
        assert.equal(ours, hex(nobleX25519.getPublicKey(k)), `noble, scalar ${hex(k)}`);
        assert.equal(ours, hex(x25519(k, nine)), `our ladder, scalar ${hex(k)}`);
      }
    }
  });

  it('x25519Base on scalars whose digits are all at an end of [-8, 8] (every table row, both signs)', () => {
    // 0x88.. recodes to alternating -8 digits with carries; 0x77.. to +7; 0xff.. to -1 and
    // carries; 0x00.. to zeros (after clamping, bit 254 alone); 0x80 and 0x08 to ±8 by row.
    for (const byte of [0x00, 0x01, 0x07, 0x08, 0x0f, 0x10, 0x77, 0x78, 0x80, 0x87, 0x88, 0x89, 0xf0, 0xf8, 0xff]) {
      const k = new Uint8Array(32).fill(byte);
      assert.equal(hex(x25519Base(k)), opensslPublicKey(k), `0x${byte.toString(16)} repeated`);
    }
  });

  it('x25519 (the ladder) equals tweetnacl and noble on 200 random scalars and u-coordinates, top bit and all', () => {
    for (let i = 0; i < 200; i++) {
      const k = randomBytes(32);
      const u = randomBytes(32); // any 32 bytes: RFC 7748 masks the top bit and reduces mod p
      const ours = hex(x25519(k, u));
      assert.equal(ours, hex(nacl.scalarMult(k, u)), `tweetnacl ${i}`);
      if (i < 40) assert.equal(ours, hex(nobleX25519.getSharedSecret(k, Uint8Array.from(u).map((b, j) => (j === 31 ? b & 0x7f : b)))), `noble ${i}`);
    }
  });

  it('clamps a copy (RFC 7748 §5) and leaves the caller\'s scalar and u as they were', () => {
    const k = new Uint8Array(32).fill(0xff);
    const u = randomBytes(32);
    const [kBefore, uBefore] = [hex(k), hex(u)];
    const clamped = clampScalar(k);
    assert.equal(clamped[0], 0xf8);
    assert.equal(clamped[31], 0x7f);
    x25519(k, u);
    x25519Base(k);
    assert.equal(hex(k), kBefore);
    assert.equal(hex(u), uBefore);
    assert.throws(() => x25519(new Uint8Array(31), u), RangeError);
    assert.throws(() => x25519(k, new Uint8Array(33)), RangeError);
  });
});
