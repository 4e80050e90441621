/**
 * Ways to spoil a genuine ticket (layout: key_name[16] | nonce[12] | AES-256-GCM
 * ciphertext | tag[16], see src/session/tickets.ts). Every one of them must make the
 * server do a full handshake: no alert, no error, and the session ID (even a valid one)
 * not looked up.
 */

export const KEY_NAME = 16;
export const NONCE = 12;
export const TAG = 16;
export const OVERHEAD = KEY_NAME + NONCE + TAG;

export interface TicketVariant {
  name: string;
  make(genuine: Uint8Array): Uint8Array;
}

function flip(t: Uint8Array, index: number, bit = 0): Uint8Array {
  const out = t.slice();
  out[index]! ^= 1 << bit;
  return out;
}

/** Deterministic filler, so a failure reproduces. */
export function filler(length: number, seed: number): Uint8Array {
  let x = (seed * 0x9e3779b1) >>> 0 || 1;
  return Uint8Array.from({ length }, () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x & 0xff;
  });
}

export const TAMPERED_TICKETS: readonly TicketVariant[] = [
  { name: 'bit 0 of the first key-name byte flipped', make: (t) => flip(t, 0) },
  { name: 'bit 7 of the last key-name byte flipped', make: (t) => flip(t, KEY_NAME - 1, 7) },
  { name: 'first nonce byte flipped', make: (t) => flip(t, KEY_NAME) },
  { name: 'last nonce byte flipped', make: (t) => flip(t, KEY_NAME + NONCE - 1, 3) },
  { name: 'first ciphertext byte flipped', make: (t) => flip(t, KEY_NAME + NONCE) },
  { name: 'a middle ciphertext byte flipped', make: (t) => flip(t, (KEY_NAME + NONCE + t.length - TAG) >> 1, 5) },
  { name: 'last ciphertext byte flipped', make: (t) => flip(t, t.length - TAG - 1) },
  { name: 'first tag byte flipped', make: (t) => flip(t, t.length - TAG, 6) },
  { name: 'last tag byte flipped', make: (t) => flip(t, t.length - 1, 7) },
  { name: 'truncated by one byte', make: (t) => t.slice(0, t.length - 1) },
  { name: 'truncated by the whole tag', make: (t) => t.slice(0, t.length - TAG) },
  { name: 'truncated to overhead + 1 bytes', make: (t) => t.slice(0, OVERHEAD + 1) },
  { name: 'truncated to exactly the overhead', make: (t) => t.slice(0, OVERHEAD) },
  { name: 'truncated to the key name', make: (t) => t.slice(0, KEY_NAME) },
  { name: 'truncated to one byte', make: (t) => t.slice(0, 1) },
  { name: 'one byte appended', make: (t) => Uint8Array.of(...t, 0) },
  { name: 'tag moved to the front', make: (t) => Uint8Array.of(...t.slice(t.length - TAG), ...t.slice(0, t.length - TAG)) },
  { name: 'an unknown key name (all zero)', make: (t) => Uint8Array.of(...new Uint8Array(KEY_NAME), ...t.slice(KEY_NAME)) },
  { name: 'garbage of the same length', make: (t) => filler(t.length, 1) },
  { name: 'garbage of 1000 bytes', make: () => filler(1000, 2) },
  { name: 'garbage of 7000 bytes', make: () => filler(7000, 3) },
  { name: '100 zero bytes', make: () => new Uint8Array(100) },
  { name: '300 0xff bytes', make: () => new Uint8Array(300).fill(0xff) },
];
