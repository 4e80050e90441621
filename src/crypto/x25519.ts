import { addSub, fieldElement, fromBytes, invert, mul, mulSmallAdd, sqr, sub, swap, toBytes, type FieldElement } from './field25519.js';
import { edwardsBaseMultipleU } from './edwards25519.js';

/**
 * X25519 (RFC 7748) on field25519.ts's limbs: the ladder for a shared secret, and the
 * Edwards base-point table (edwards25519.ts) for a public key, as libsodium computes
 * `crypto_scalarmult_curve25519_base`. Why ours and not tweetnacl's, which it replaced:
 * measured in bench/primitives.ts (README, "X25519"), this ladder with its dedicated
 * squaring is faster than tweetnacl's, and the table makes a key pair about three times
 * cheaper than any ladder. Tested against node:crypto (OpenSSL), noble and tweetnacl
 * (test/crypto/x25519-limbs.test.ts) and RFC 7748's vectors.
 *
 * Constant-time by construction: the ladder swaps by mask, the table is read whole and
 * selected from by mask; no branch or index depends on the scalar.
 */

const A24 = 121665; // RFC 7748 §5: (486662 - 2) / 4

/** RFC 7748 §5 decodeScalar25519, into a copy: the low three bits cleared, bit 254 set, bit 255 cleared. */
export function clampScalar(scalar: Uint8Array): Uint8Array {
  if (scalar.length !== 32) throw new RangeError('an X25519 scalar is 32 bytes');
  const k = Uint8Array.from(scalar);
  k[0] = k[0]! & 248;
  k[31] = (k[31]! & 127) | 64;
  return k;
}

// The ladder's working elements, shared: a call runs from start to end synchronously, and
// every one of them is wiped before it returns.
const x1 = fieldElement(), x2 = fieldElement(), z2 = fieldElement(), x3 = fieldElement(), z3 = fieldElement();
const ta = fieldElement(), tb = fieldElement(), taa = fieldElement(), tbb = fieldElement();
const te = fieldElement(), tc = fieldElement(), td = fieldElement(), tda = fieldElement(), tcb = fieldElement();
const LADDER: readonly FieldElement[] = [x1, x2, z2, x3, z3, ta, tb, taa, tbb, te, tc, td, tda, tcb];

/** X25519(k, u) (RFC 7748 §5): the u-coordinate of [clamp(k)]·(u), by the Montgomery ladder. */
export function x25519(scalar: Uint8Array, u: Uint8Array): Uint8Array {
  if (u.length !== 32) throw new RangeError('an X25519 u-coordinate is 32 bytes');
  const k = clampScalar(scalar);
  fromBytes(x1, u);
  x2.fill(0);
  x2[0] = 1;
  z2.fill(0);
  x3.set(x1);
  z3.fill(0);
  z3[0] = 1;
  let swapped = 0;
  for (let t = 254; t >= 0; t--) {
    const bit = (k[t >>> 3]! >>> (t & 7)) & 1;
    swapped ^= bit;
    swap(x2, x3, swapped);
    swap(z2, z3, swapped);
    swapped = bit;
    ladderStep();
  }
  swap(x2, x3, swapped);
  swap(z2, z3, swapped);
  invert(z2, z2);
  mul(x2, x2, z2);
  const out = new Uint8Array(32);
  toBytes(out, x2);
  k.fill(0);
  for (const e of LADDER) e.fill(0);
  return out;
}

/** One step of RFC 7748 §5's ladder: (x2:z2) doubled, (x3:z3) the differential sum. */
function ladderStep(): void {
  addSub(ta, tb, x2, z2); // A = x2 + z2, B = x2 - z2
  sqr(taa, ta); // AA
  sqr(tbb, tb); // BB
  sub(te, taa, tbb); // E = AA - BB
  addSub(tc, td, x3, z3); // C = x3 + z3, D = x3 - z3
  mul(tda, td, ta); // DA
  mul(tcb, tc, tb); // CB
  addSub(x3, z3, tda, tcb);
  sqr(x3, x3); // x3 = (DA + CB)^2
  sqr(z3, z3);
  mul(z3, z3, x1); // z3 = x1 · (DA - CB)^2
  mul(x2, taa, tbb); // x2 = AA · BB
  mulSmallAdd(z2, te, A24, taa);
  mul(z2, z2, te); // z2 = E · (AA + a24 · E)
}

/** X25519(k, 9): the public key of the scalar k (RFC 7748 §6.1), from the Edwards base-point table. */
export function x25519Base(scalar: Uint8Array): Uint8Array {
  const k = clampScalar(scalar);
  const out = edwardsBaseMultipleU(k);
  k.fill(0);
  return out;
}
